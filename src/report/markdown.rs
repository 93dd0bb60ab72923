//! The report as Markdown (GitHub-flavoured tables; values in code spans, so backslashes and
//! markup characters in paths, keys and URLs are shown as written), rendered by the templates
//! (`report-templates/report.md.j2` and its includes, see [`super::templates`]). Every value
//! a template prints goes through [`crate::escape::markdown`]: no value can start a line, a
//! heading, an HTML block or comment, a link or an image.

use super::templates::{ReportTemplates, TemplateError};
use super::AnalystReport;

/// Renders the report as Markdown with the shipped templates.
pub fn render(report: &AnalystReport) -> Result<String, TemplateError> {
    ReportTemplates::shipped()?.markdown(report)
}
