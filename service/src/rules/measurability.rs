//! Measurability (SPEC §3.4): a key result's kind, values, unit and weight must describe
//! a result that can be measured.

use crate::rules::validate;
use crate::{Error, Result};
use entity::{KeyResultKind, KeyResultUnit};

/// The figures that define what a key result measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub kind: KeyResultKind,
    pub unit: KeyResultUnit,
    pub unit_label: Option<String>,
    pub start: f64,
    pub target: f64,
    pub weight: f64,
}

/// Checks a definition, returning it with the unit label normalized.
pub fn check(d: Definition) -> Result<Definition> {
    check_fields(d).map_err(|(_, error)| error)
}

/// [`check`], naming the input field a refusal is about (`startValue`, `targetValue`,
/// `weight`, `unitLabel`), for callers that point at the field, such as an import.
pub fn check_fields(mut d: Definition) -> std::result::Result<Definition, (&'static str, Error)> {
    validate::number("startValue", d.start).map_err(|e| ("startValue", e))?;
    validate::number("targetValue", d.target).map_err(|e| ("targetValue", e))?;
    direction(&d).map_err(|e| ("targetValue", e))?;
    if !d.weight.is_finite() || d.weight <= 0.0 || d.weight > 100.0 {
        return Err(("weight", Error::BadUserInput("`weight` must be above 0 and at most 100".into())));
    }
    d.unit_label = unit_label(d.unit, d.unit_label.as_deref()).map_err(|e| ("unitLabel", e))?;
    Ok(d)
}

/// The direction the kind implies: up for INCREASE, down for DECREASE, 0 → 1 for MILESTONE.
fn direction(d: &Definition) -> Result<()> {
    match d.kind {
        KeyResultKind::Increase if d.start >= d.target => Err(Error::NotMeasurable(format!(
            "an INCREASE key result needs a start value below its target ({} is not below {})",
            d.start, d.target
        ))),
        KeyResultKind::Decrease if d.start <= d.target => Err(Error::NotMeasurable(format!(
            "a DECREASE key result needs a start value above its target ({} is not above {})",
            d.start, d.target
        ))),
        KeyResultKind::Milestone if d.start != 0.0 || d.target != 1.0 => {
            Err(Error::NotMeasurable("a MILESTONE runs from 0 (not done) to 1 (done)".into()))
        }
        _ => Ok(()),
    }
}

/// The ISO 4217 code `code` names, upper-cased, or a refusal naming it.
fn currency(code: &str) -> Result<String> {
    let upper = code.to_ascii_uppercase();
    match iso_currency::Currency::from_code(&upper) {
        Some(currency) => Ok(currency.code().to_owned()),
        None => Err(Error::BadUserInput(format!(
            "{code:?} is not an ISO 4217 currency code: a CURRENCY unit needs one in `unitLabel`, e.g. EUR or USD"
        ))),
    }
}

fn unit_label(unit: KeyResultUnit, label: Option<&str>) -> Result<Option<String>> {
    let label = label.map(str::trim).filter(|l| !l.is_empty());
    match (unit, label) {
        (KeyResultUnit::Currency, Some(code)) => currency(code).map(Some),
        (KeyResultUnit::Currency, None) => {
            Err(Error::BadUserInput("a CURRENCY unit needs its ISO 4217 code in `unitLabel`, e.g. EUR".into()))
        }
        (KeyResultUnit::Custom, Some(label)) => {
            validate::limit("unitLabel", label, 32)?;
            Ok(Some(label.to_owned()))
        }
        (KeyResultUnit::Custom, None) => Err(Error::BadUserInput("a CUSTOM unit needs a `unitLabel`".into())),
        (_, Some(_)) => Err(Error::BadUserInput("`unitLabel` is only for CURRENCY and CUSTOM units".into())),
        (_, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(kind: KeyResultKind, start: f64, target: f64) -> Definition {
        Definition { kind, unit: KeyResultUnit::Number, unit_label: None, start, target, weight: 1.0 }
    }

    #[test]
    fn direction_follows_the_kind() {
        assert!(check(definition(KeyResultKind::Increase, 30.0, 60.0)).is_ok());
        assert_eq!(check(definition(KeyResultKind::Increase, 60.0, 30.0)).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(check(definition(KeyResultKind::Decrease, 31.0, 60.0)).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(check(definition(KeyResultKind::Increase, 5.0, 5.0)).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(check(definition(KeyResultKind::Milestone, 0.0, 3.0)).unwrap_err().code(), "NOT_MEASURABLE");
        assert!(check(definition(KeyResultKind::MaintainAtLeast, 95.0, 99.0)).is_ok());
    }

    #[test]
    fn absurd_values_and_weights_are_refused() {
        assert_eq!(check(definition(KeyResultKind::Increase, 0.0, f64::NAN)).unwrap_err().code(), "NOT_MEASURABLE");
        assert_eq!(check(definition(KeyResultKind::Increase, 0.0, 1e300)).unwrap_err().code(), "NOT_MEASURABLE");
        let heavy = Definition { weight: 0.0, ..definition(KeyResultKind::Increase, 0.0, 1.0) };
        assert_eq!(check(heavy).unwrap_err().code(), "BAD_USER_INPUT");
    }

    #[test]
    fn currencies_need_a_code() {
        let euros = Definition {
            unit: KeyResultUnit::Currency,
            unit_label: Some("eur".into()),
            ..definition(KeyResultKind::Increase, 0.0, 1.0)
        };
        assert_eq!(check(euros).unwrap().unit_label.as_deref(), Some("EUR"));
        let bare = Definition { unit: KeyResultUnit::Currency, ..definition(KeyResultKind::Increase, 0.0, 1.0) };
        assert_eq!(check(bare).unwrap_err().code(), "BAD_USER_INPUT");
    }

    #[test]
    fn a_currency_code_must_be_one_iso_4217_lists() {
        let coded = |code: &str| Definition {
            unit: KeyResultUnit::Currency,
            unit_label: Some(code.into()),
            ..definition(KeyResultKind::Increase, 0.0, 1.0)
        };
        for made_up in ["ZZZ", "EURO", "E1R", "QQQ"] {
            let refused = check(coded(made_up)).unwrap_err();
            assert_eq!(refused.code(), "BAD_USER_INPUT", "{made_up}");
            assert!(refused.to_string().contains(made_up), "the message names {made_up}: {refused}");
        }
        assert_eq!(check(coded(" jpy ")).unwrap().unit_label.as_deref(), Some("JPY"));
    }
}
