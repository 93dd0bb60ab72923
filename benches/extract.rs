//! Extraction throughput benchmark (being written).
fn main() {}
