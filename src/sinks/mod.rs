//! Where results go once a run is over: the JUnit file the Tests tab reads,
//! the markdown build summary, and the terminal report.

pub mod junit;
pub mod summary;
pub mod terminal;
