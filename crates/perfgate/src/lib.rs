//! perfgate: the light harness for stability suites (sustained load, spike, soak, leak,
//! degradation, concurrency) written as `[[bench]] harness = false` targets.
//!
//! Not built yet: cargo-perfgate discovers targets that use it and reports them as an `error`
//! entry ("not supported by this version") rather than skipping them silently.

pub use perfgate_format as format;
