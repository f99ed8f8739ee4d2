//! Our own scalars, named and described as client tools know them: `Date` (an RFC 3339
//! full-date) and `DateTime` (an RFC 3339 date-time in UTC), instead of the library's
//! Rust-named `NaiveDate` and its placeholder descriptions.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, Utc};

/// A calendar day without a time or zone, as an RFC 3339 full-date: `2027-03-31`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar day without a time or zone, as an RFC 3339 full-date: `2027-03-31`.
#[Scalar(name = "Date", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else { return Err(InputValueError::expected_type(value)) };
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| InputValueError::custom(format!("{text:?} is not a date: send a full-date like 2027-03-31")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant, as an RFC 3339 date-time: answers are in UTC (`2027-03-31T09:30:00.250+00:00`),
/// input may carry any offset (`2027-03-31T11:30:00+02:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, as an RFC 3339 date-time: answers are in UTC (`2027-03-31T09:30:00.250+00:00`),
/// input may carry any offset (`2027-03-31T11:30:00+02:00`).
#[Scalar(name = "DateTime", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else { return Err(InputValueError::expected_type(value)) };
        chrono::DateTime::parse_from_rfc3339(text).map(|at| DateTime(at.with_timezone(&Utc))).map_err(|_| {
            InputValueError::custom(format!(
                "{text:?} is not an RFC 3339 date-time: send one like 2027-03-31T09:30:00Z"
            ))
        })
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}

/// Any JSON value, passed through as it is (an audited row's fields before or after a
/// change).
#[derive(Debug, Clone, PartialEq)]
pub struct Json(pub serde_json::Value);

/// Any JSON value, passed through as it is (an audited row's fields before or after a
/// change).
#[Scalar(name = "JSON", specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259")]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        value.into_json().map(Json).map_err(|_| InputValueError::custom("not a JSON value"))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}
