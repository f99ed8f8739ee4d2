//! The OKR file's shape: one record per line of a CSV file (or per object of a JSON
//! file), each with a `kind` and the columns that kind uses. The README documents it;
//! `examples/okrs.csv` and `examples/okrs.json` show it.

use sea_orm::{ActiveEnum, Iterable};

/// A column of the file; in JSON, a key of a record object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Kind,
    Ref,
    Parent,
    Team,
    Title,
    Description,
    State,
    Alignment,
    ProgressDriver,
    ClosingNote,
    Measure,
    Unit,
    UnitLabel,
    StartValue,
    TargetValue,
    Weight,
    Value,
    Confidence,
    RecordedAt,
    Note,
    Person,
    DisplayName,
    Email,
    Role,
}

/// How many columns there are.
const COLUMNS: usize = 24;

impl Column {
    /// Every column, in the order an exported CSV file's header lists them.
    pub const ALL: [Column; COLUMNS] = [
        Column::Kind,
        Column::Ref,
        Column::Parent,
        Column::Team,
        Column::Title,
        Column::Description,
        Column::State,
        Column::Alignment,
        Column::ProgressDriver,
        Column::ClosingNote,
        Column::Measure,
        Column::Unit,
        Column::UnitLabel,
        Column::StartValue,
        Column::TargetValue,
        Column::Weight,
        Column::Value,
        Column::Confidence,
        Column::RecordedAt,
        Column::Note,
        Column::Person,
        Column::DisplayName,
        Column::Email,
        Column::Role,
    ];

    /// The column's name in a CSV header and a JSON record: the GraphQL input field's
    /// name where there is one, so that refusals name the same field either way.
    pub fn name(self) -> &'static str {
        match self {
            Column::Kind => "kind",
            Column::Ref => "ref",
            Column::Parent => "parent",
            Column::Team => "team",
            Column::Title => "title",
            Column::Description => "description",
            Column::State => "state",
            Column::Alignment => "alignment",
            Column::ProgressDriver => "progressDriver",
            Column::ClosingNote => "closingNote",
            Column::Measure => "measure",
            Column::Unit => "unit",
            Column::UnitLabel => "unitLabel",
            Column::StartValue => "startValue",
            Column::TargetValue => "targetValue",
            Column::Weight => "weight",
            Column::Value => "value",
            Column::Confidence => "confidence",
            Column::RecordedAt => "recordedAt",
            Column::Note => "note",
            Column::Person => "person",
            Column::DisplayName => "displayName",
            Column::Email => "email",
            Column::Role => "role",
        }
    }

    /// The column called `name`.
    pub fn named(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether a JSON file writes its values as numbers.
    pub fn numeric(self) -> bool {
        matches!(self, Column::StartValue | Column::TargetValue | Column::Weight | Column::Value)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What a record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A team, created when the organization has no live team of that name.
    Team,
    /// A person, created when the organization has nobody with that subject.
    Person,
    /// A person's membership of a team.
    Member,
    Objective,
    KeyResult,
    CheckIn,
}

impl Kind {
    /// Every kind, in the order an exported file lists them.
    pub const ALL: [Kind; 6] =
        [Kind::Team, Kind::Person, Kind::Member, Kind::Objective, Kind::KeyResult, Kind::CheckIn];

    /// The `kind` value naming it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Team => "team",
            Kind::Person => "person",
            Kind::Member => "member",
            Kind::Objective => "objective",
            Kind::KeyResult => "key_result",
            Kind::CheckIn => "check_in",
        }
    }

    /// The kind a `kind` value names, in any case.
    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// The columns a record of this kind may fill.
    pub fn columns(self) -> &'static [Column] {
        use Column::*;
        match self {
            Self::Team => &[Team, Parent],
            Self::Person => &[Person, DisplayName, Email],
            Self::Member => &[Team, Person, Role, Title],
            Self::Objective => &[Ref, Team, Title, Description, State, Parent, Alignment, ProgressDriver, ClosingNote],
            Self::KeyResult => &[Ref, Parent, Title, Measure, Unit, UnitLabel, StartValue, TargetValue, Weight, Person],
            Self::CheckIn => &[Parent, Value, Confidence, RecordedAt, Note, Person],
        }
    }
}

/// One record of a file, with the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    values: [Option<String>; COLUMNS],
}

impl Record {
    /// An empty record starting on `line`.
    pub fn at(line: u64) -> Self {
        Record { line, values: Default::default() }
    }

    /// A record of `kind`, for writing a file.
    pub fn of(kind: Kind) -> Self {
        let mut record = Record::at(0);
        record.set(Column::Kind, kind.name());
        record
    }

    /// The value of `column`, trimmed; none when blank.
    pub fn get(&self, column: Column) -> Option<&str> {
        self.values[column.index()].as_deref()
    }

    /// Sets `column` to `value`, trimmed; blank clears it.
    pub fn set(&mut self, column: Column, value: &str) {
        let value = value.trim();
        self.values[column.index()] = (!value.is_empty()).then(|| value.to_owned());
    }

    /// Sets `column` when `value` is some.
    pub fn set_some(&mut self, column: Column, value: Option<&str>) {
        if let Some(value) = value {
            self.set(column, value);
        }
    }

    /// Sets `column` to an enumeration's stored name (`ACTIVE`, `KEY_RESULTS`).
    pub fn set_enum<E: ActiveEnum<Value = String>>(&mut self, column: Column, value: E) {
        self.set(column, &value.to_value());
    }

    /// The columns that hold a value.
    pub fn filled(&self) -> impl Iterator<Item = (Column, &str)> {
        Column::ALL.into_iter().filter_map(|c| self.get(c).map(|v| (c, v)))
    }
}

/// The stored names of an enumeration's values, for messages: `DRAFT, ACTIVE or CLOSED`.
pub fn choices<E: ActiveEnum<Value = String> + Iterable>() -> String {
    let names: Vec<String> = E::iter().map(|e| e.to_value()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_its_own_name_and_place() {
        for (i, column) in Column::ALL.into_iter().enumerate() {
            assert_eq!(column.index(), i);
            assert_eq!(Column::named(column.name()), Some(column));
        }
    }

    #[test]
    fn values_are_trimmed_and_blank_is_none() {
        let mut record = Record::at(3);
        record.set(Column::Title, "  Grow  ");
        record.set(Column::Note, "   ");
        assert_eq!(record.get(Column::Title), Some("Grow"));
        assert_eq!(record.get(Column::Note), None);
        assert_eq!(choices::<entity::ObjectiveState>(), "DRAFT, ACTIVE or CLOSED");
    }
}
