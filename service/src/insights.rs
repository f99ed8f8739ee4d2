//! Insights: what is going wrong with a team's OKRs while there is still time to act,
//! computed from stored figures and the service's clock.

pub mod activity;
pub mod confidence;
pub mod forecast;
