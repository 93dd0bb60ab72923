triage data
