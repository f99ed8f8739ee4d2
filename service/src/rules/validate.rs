//! Input checks shared by every mutation: text lengths, finite numbers.

use crate::{Error, Result};

/// Longest title of a team, cycle, objective, key result or initiative.
pub const MAX_TITLE: usize = 200;
/// Longest description, note or closing note.
pub const MAX_TEXT: usize = 5_000;
/// Largest magnitude a key result value may have.
pub const MAX_MAGNITUDE: f64 = 1e12;

/// A required, trimmed title of at most [`MAX_TITLE`] characters.
pub fn title(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::BadUserInput(format!("`{field}` must not be empty")));
    }
    limit(field, trimmed, MAX_TITLE)?;
    Ok(trimmed.to_owned())
}

/// An optional free text of at most [`MAX_TEXT`] characters; blank becomes none.
pub fn text(field: &str, value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => {
            limit(field, v, MAX_TEXT)?;
            Ok(Some(v.to_owned()))
        }
        None => Ok(None),
    }
}

/// Refuses text longer than `max` characters, saying the limit.
pub fn limit(field: &str, value: &str, max: usize) -> Result<()> {
    let length = value.chars().count();
    if length > max {
        return Err(Error::BadUserInput(format!("`{field}` is {length} characters long; the limit is {max}")));
    }
    Ok(())
}

/// A finite number of sane magnitude, or NOT_MEASURABLE.
pub fn number(field: &str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::NotMeasurable(format!("`{field}` must be a finite number")));
    }
    if value.abs() > MAX_MAGNITUDE {
        return Err(Error::NotMeasurable(format!("`{field}` must be between -1e12 and 1e12")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("title", "  Ship it  ").unwrap(), "Ship it");
        assert_eq!(title("title", "   ").unwrap_err().code(), "BAD_USER_INPUT");
        let long = "x".repeat(MAX_TITLE + 1);
        assert!(title("title", &long).unwrap_err().to_string().contains("the limit is 200"));
    }

    #[test]
    fn numbers_must_be_finite_and_sane() {
        assert_eq!(number("value", f64::NAN).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(number("value", f64::INFINITY).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(number("value", 1e13).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(number("value", -3.5).unwrap(), -3.5);
    }
}
