//! Checking a file against the organization, with no I/O: every record is checked by
//! the rules its kind of write applies elsewhere (the same functions), and the rows the
//! file would create are built. Records name each other in any order: each kind is read
//! in its own pass, teams first, check-ins last.

mod okrs;
mod people;
mod progress;
mod teams;

use crate::transfer::file::{Column, Kind, Record, choices};
use crate::transfer::known::Known;
use crate::transfer::{Counts, ForeignIds, Problem};
use crate::{Actor, Error, Result};
use chrono::{DateTime, Utc};
use entity::{AlignmentKind, ObjectiveState, check_in, key_result, membership, objective, person, team};
use sea_orm::{ActiveEnum, Iterable};
use std::collections::HashMap;
use uuid::Uuid;

/// The rows a file creates, in the order they can be inserted, and its problems.
#[derive(Debug, Default)]
pub struct Plan {
    /// New teams, each after its parent.
    pub teams: Vec<team::Model>,
    pub people: Vec<person::Model>,
    pub memberships: Vec<membership::Model>,
    /// New objectives, each after its parent, with their progress rolled up.
    pub objectives: Vec<objective::Model>,
    /// New key results, at their latest reading.
    pub key_results: Vec<key_result::Model>,
    pub check_ins: Vec<check_in::Model>,
    /// Existing objectives that new ones contribute to: their progress moves.
    pub rolls_into: Vec<Uuid>,
    /// How many rows of each kind the file creates (or would, once its problems are fixed).
    pub counts: Counts,
    pub problems: Vec<Problem>,
}

/// Checks `records` against `known` and plans their rows, written by `actor` at `now`.
pub fn plan(records: &[Record], known: &Known, ids: &dyn ForeignIds, actor: &Actor, now: DateTime<Utc>) -> Plan {
    let mut planner = Planner::new(known, ids, actor, now);
    let mut by_kind: HashMap<Kind, Vec<&Record>> = HashMap::new();
    for record in records {
        if let Some(kind) = planner.kind(record) {
            by_kind.entry(kind).or_default().push(record);
        }
    }
    let of = |kind| by_kind.get(&kind).map(Vec::as_slice).unwrap_or_default();
    planner.teams(of(Kind::Team));
    planner.people(of(Kind::Person));
    planner.members(of(Kind::Member));
    planner.objectives(of(Kind::Objective));
    planner.key_results(of(Kind::KeyResult));
    planner.check_ins(of(Kind::CheckIn));
    planner.align();
    planner.states();
    planner.finish()
}

/// A team record: the team it keeps or creates.
struct TeamAt<'r> {
    record: &'r Record,
    model: team::Model,
    new: bool,
}

/// A person the file names: one it keeps (a person record of someone known) or creates.
struct PersonAt {
    line: u64,
    model: person::Model,
    new: bool,
}

/// What a `ref` names.
#[derive(Debug, Clone, Copy)]
enum Ref {
    Objective(usize),
    KeyResult(usize),
}

/// Where an objective of the file aligns.
#[derive(Debug, Clone, Copy)]
enum Parent {
    /// An objective of the file, through one of its key results when given.
    File(usize, Option<usize>),
    /// An existing objective, through one of its key results when given.
    Existing(Uuid, Option<Uuid>),
}

/// An objective record being checked.
struct PlannedObjective<'r> {
    record: &'r Record,
    model: objective::Model,
    /// The owning team's name, once it is known.
    team: Option<String>,
    alignment: AlignmentKind,
    parent: Option<Parent>,
    /// How many key result records name it.
    key_results: u64,
}

/// A key result record being checked.
struct PlannedKeyResult {
    /// The row, once its figures passed.
    model: Option<key_result::Model>,
    /// Its kind, once read: readings are checked against it.
    kind: Option<entity::KeyResultKind>,
    objective: Option<usize>,
}

struct Planner<'a, 'r> {
    known: &'a Known,
    ids: &'a dyn ForeignIds,
    org: Uuid,
    author: Uuid,
    now: DateTime<Utc>,
    problems: Vec<Problem>,
    teams: Vec<TeamAt<'r>>,
    team_names: HashMap<String, usize>,
    people: Vec<PersonAt>,
    subjects: HashMap<String, usize>,
    memberships: HashMap<(Uuid, Uuid), u64>,
    new_memberships: Vec<membership::Model>,
    refs: HashMap<String, (u64, Ref)>,
    objectives: Vec<PlannedObjective<'r>>,
    key_results: Vec<PlannedKeyResult>,
    check_ins: Vec<(usize, check_in::Model)>,
    rolls_into: Vec<Uuid>,
}

impl<'a, 'r> Planner<'a, 'r> {
    fn new(known: &'a Known, ids: &'a dyn ForeignIds, actor: &Actor, now: DateTime<Utc>) -> Self {
        Planner {
            known,
            ids,
            org: actor.organization_id(),
            author: actor.person_id(),
            now,
            problems: Vec::new(),
            teams: Vec::new(),
            team_names: HashMap::new(),
            people: Vec::new(),
            subjects: HashMap::new(),
            memberships: HashMap::new(),
            new_memberships: Vec::new(),
            refs: HashMap::new(),
            objectives: Vec::new(),
            key_results: Vec::new(),
            check_ins: Vec::new(),
            rolls_into: Vec::new(),
        }
    }

    /// The record's kind, refusing an unknown one and columns its kind does not use.
    fn kind(&mut self, record: &Record) -> Option<Kind> {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        let Some(text) = record.get(Column::Kind) else {
            let message = format!("every record needs a `kind`: {}", names.join(", "));
            self.refuse(record, Column::Kind, Error::BadUserInput(message));
            return None;
        };
        let Some(kind) = Kind::named(text) else {
            let message = format!("there is no kind {text:?}: use {}", names.join(", "));
            self.refuse(record, Column::Kind, Error::BadUserInput(message));
            return None;
        };
        for (column, _) in record.filled() {
            if column != Column::Kind && !kind.columns().contains(&column) {
                let message = format!("`{}` is not a column of {} records: leave it empty", column.name(), kind.name());
                self.refuse(record, column, Error::BadUserInput(message));
            }
        }
        Some(kind)
    }

    /// Notes a problem of `record` in `column`.
    fn refuse(&mut self, record: &Record, column: Column, error: Error) {
        self.problems.push(Problem::of(record.line, column, &error));
    }

    /// The value of a check, or `None` with the refusal noted.
    fn check<T>(&mut self, record: &Record, column: Column, checked: Result<T>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(error) => {
                self.refuse(record, column, error);
                None
            }
        }
    }

    /// A column the record's kind cannot do without.
    fn required<'v>(&mut self, record: &'v Record, column: Column) -> Option<&'v str> {
        let value = record.get(column);
        if value.is_none() {
            let kind = record.get(Column::Kind).unwrap_or_default();
            let message = format!("a {kind} record needs a `{}`", column.name());
            self.refuse(record, column, Error::BadUserInput(message));
        }
        value
    }

    /// An enumeration's value (in any case), `default` when the column is empty.
    fn choice<E: ActiveEnum<Value = String> + Iterable>(
        &mut self,
        record: &Record,
        column: Column,
        default: E,
    ) -> Option<E> {
        let Some(text) = record.get(column) else { return Some(default) };
        let found = E::try_from_value(&text.to_ascii_uppercase()).ok();
        if found.is_none() {
            let message = format!("`{}` must be {}, not {text:?}", column.name(), choices::<E>());
            self.refuse(record, column, Error::BadUserInput(message));
        }
        found
    }

    /// A number, `default` when the column is empty.
    fn number(&mut self, record: &Record, column: Column, default: f64) -> Option<f64> {
        let Some(text) = record.get(column) else { return Some(default) };
        let found = text.parse::<f64>().ok();
        if found.is_none() {
            let message = format!("`{}` must be a number, not {text:?}", column.name());
            self.refuse(record, column, Error::BadUserInput(message));
        }
        found
    }

    /// Registers `record`'s `ref` for `target`, refusing one used before.
    fn register(&mut self, record: &Record, target: Ref) {
        let Some(name) = record.get(Column::Ref) else { return };
        if let Some((line, _)) = self.refs.get(name) {
            let message = format!("the ref {name:?} is taken by the record on line {line}: give each its own");
            self.refuse(record, Column::Ref, Error::Conflict(message));
            return;
        }
        self.refs.insert(name.to_owned(), (record.line, target));
    }

    /// The person `subject` names: created by the file, or known.
    fn person(&self, subject: &str) -> Option<&person::Model> {
        match self.subjects.get(subject) {
            Some(at) => self.people.get(*at).map(|p| &p.model),
            None => self.known.people.get(subject),
        }
    }

    /// Whether `person_id` is in `team_id`, or the file makes them a member.
    fn is_member(&self, team_id: Uuid, person_id: Uuid) -> bool {
        self.memberships.contains_key(&(team_id, person_id))
            || self.known.memberships.contains_key(&(team_id, person_id))
    }

    fn finish(mut self) -> Plan {
        let counts = Counts {
            teams: self.teams.iter().filter(|t| t.new).count(),
            people: self.people.iter().filter(|p| p.new).count(),
            memberships: self.new_memberships.len(),
            objectives: self.objectives.len(),
            key_results: self.key_results.len(),
            check_ins: self.check_ins.len(),
        };
        if !self.problems.is_empty() {
            return Plan { counts, problems: self.problems, ..Plan::default() };
        }
        let check_ins = self.readings();
        let objectives = self.roll_up();
        let teams = self.new_teams();
        let key_results = self.key_results.into_iter().filter_map(|k| k.model).collect();
        let people = self.people.into_iter().filter(|p| p.new).map(|p| p.model).collect();
        Plan {
            teams,
            people,
            memberships: self.new_memberships,
            objectives,
            key_results,
            check_ins,
            rolls_into: self.rolls_into,
            counts,
            problems: Vec::new(),
        }
    }
}

/// Objectives that end in a state where they count as committed to need key results.
fn committed(state: ObjectiveState) -> bool {
    matches!(state, ObjectiveState::Active | ObjectiveState::Closed)
}
