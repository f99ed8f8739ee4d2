//! Objective, key result and check-in records, checked by the rules of creating,
//! aligning, activating and closing objectives, adding key results and checking in.

use super::{Parent, PlannedKeyResult, PlannedObjective, Planner, Ref, committed};
use crate::objectives::alignment::{self, check_loaded};
use crate::objectives::{ObjectiveOrKeyResult, focus, life, write as objective_rules};
use crate::rules::measurability::{self, Definition};
use crate::rules::{scoring, validate};
use crate::transfer::file::{Column, Record};
use crate::{Error, check_ins, cycles, key_results, new_id};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    AlignmentKind, Confidence, CycleState, KeyResultKind, KeyResultUnit, ObjectiveState, ProgressDriver, check_in,
    key_result, objective,
};
use std::collections::HashMap;
use uuid::Uuid;

impl<'r> Planner<'_, 'r> {
    pub(super) fn objectives(&mut self, records: &[&'r Record]) {
        for record in records {
            self.required(record, Column::Ref);
            self.register(record, Ref::Objective(self.objectives.len()));
            let team = self.required(record, Column::Team).map(|name| {
                self.team(name)
                    .and_then(|team| objective_rules::owns_new_objectives(team).map(|()| (team.id, team.name.clone())))
            });
            let team = team.and_then(|team| self.check(record, Column::Team, team));
            let title = self.required(record, Column::Title).map(|title| validate::title("title", title));
            let title = title.and_then(|title| self.check(record, Column::Title, title));
            let description = validate::text("description", record.get(Column::Description));
            let description = self.check(record, Column::Description, description).flatten();
            let state = self.choice(record, Column::State, ObjectiveState::Draft);
            let driver = self.choice(record, Column::ProgressDriver, ProgressDriver::KeyResults);
            let alignment = self.choice(record, Column::Alignment, AlignmentKind::Contributes);
            if record.get(Column::Alignment).is_some() && record.get(Column::Parent).is_none() {
                let message = "`alignment` says how an objective counts towards its `parent`: name one".into();
                self.refuse(record, Column::Alignment, Error::BadUserInput(message));
            }
            let note = validate::text("closingNote", record.get(Column::ClosingNote));
            let note = self.check(record, Column::ClosingNote, note).flatten();
            if note.is_some() && state != Some(ObjectiveState::Closed) {
                let message = "only a CLOSED objective has a closing note".into();
                self.refuse(record, Column::ClosingNote, Error::BadUserInput(message));
            }
            let model = objective::Model {
                id: new_id(),
                organization_id: self.org,
                team_id: team.as_ref().map_or(Uuid::nil(), |(id, _)| *id),
                cycle_id: self.known.cycle.id,
                title: title.unwrap_or_default(),
                description,
                state: state.unwrap_or(ObjectiveState::Draft),
                parent_objective_id: None,
                parent_key_result_id: None,
                alignment_kind: None,
                progress_driver: driver.unwrap_or(ProgressDriver::KeyResults),
                progress: 0.0,
                closing_note: note,
                final_score: None,
                carried_over_from_id: None,
                archived_at: None,
                created_at: self.now,
                updated_at: self.now,
            };
            let team = team.map(|(_, name)| name);
            let alignment = alignment.unwrap_or(AlignmentKind::Contributes);
            self.objectives.push(PlannedObjective { record, model, team, alignment, parent: None, key_results: 0 });
        }
    }

    pub(super) fn key_results(&mut self, records: &[&'r Record]) {
        for record in records {
            self.register(record, Ref::KeyResult(self.key_results.len()));
            let objective = self.required(record, Column::Parent).and_then(|parent| self.owner(record, parent));
            let title = self.required(record, Column::Title).map(|title| validate::title("title", title));
            let title = title.and_then(|title| self.check(record, Column::Title, title));
            let kind = self
                .required(record, Column::Measure)
                .and_then(|_| self.choice(record, Column::Measure, KeyResultKind::Increase));
            let unit = self.choice(record, Column::Unit, KeyResultUnit::Number);
            let start = self.number(record, Column::StartValue, 0.0);
            let target = self.number(record, Column::TargetValue, 1.0);
            let weight = self.number(record, Column::Weight, 1.0);
            let definition = match (kind, unit, start, target, weight) {
                (Some(kind), Some(unit), Some(start), Some(target), Some(weight)) => {
                    let unit_label = record.get(Column::UnitLabel).map(str::to_owned);
                    let definition = Definition { kind, unit, unit_label, start, target, weight };
                    match measurability::check_fields(definition) {
                        Ok(definition) => Some(definition),
                        Err((field, error)) => {
                            self.refuse(record, Column::named(field).unwrap_or(Column::Measure), error);
                            None
                        }
                    }
                }
                _ => None,
            };
            let driver = self.driver(record, objective);
            let Some(definition) = definition else {
                self.key_results.push(PlannedKeyResult { model: None, kind, objective });
                continue;
            };
            let at_start = scoring::Measure {
                kind: definition.kind,
                start: definition.start,
                target: definition.target,
                current: definition.start,
            };
            let model = key_result::Model {
                id: new_id(),
                organization_id: self.org,
                objective_id: objective.and_then(|o| self.objectives.get(o)).map_or(Uuid::nil(), |o| o.model.id),
                title: title.unwrap_or_default(),
                kind: definition.kind,
                unit: definition.unit,
                unit_label: definition.unit_label,
                start_value: definition.start,
                target_value: definition.target,
                current_value: definition.start,
                weight: definition.weight,
                driver_id: driver,
                progress: scoring::key_result_progress(at_start),
                latest_confidence: None,
                check_in_count: 0,
                last_check_in_at: None,
                archived_at: None,
                created_at: self.now,
                updated_at: self.now,
            };
            self.key_results.push(PlannedKeyResult { model: Some(model), kind, objective });
        }
    }

    /// The objective of the file that a key result record's `parent` names, if the policy
    /// has room for one more key result on it.
    fn owner(&mut self, record: &Record, parent: &str) -> Option<usize> {
        let at = match self.refs.get(parent) {
            Some((_, Ref::Objective(at))) => *at,
            Some((_, Ref::KeyResult(_))) => {
                let message = format!("{parent:?} is a key result: a key result's `parent` is an objective's ref");
                self.refuse(record, Column::Parent, Error::BadUserInput(message));
                return None;
            }
            None => {
                let error = Error::not_found("objective", format!("{parent:?} (a ref of this file)"));
                self.refuse(record, Column::Parent, error);
                return None;
            }
        };
        let objective = self.objectives.get(at)?;
        let room = focus::room_for_key_result(&self.known.policy, &objective.model.title, objective.key_results);
        self.check(record, Column::Parent, room)?;
        if let Some(objective) = self.objectives.get_mut(at) {
            objective.key_results += 1;
        }
        Some(at)
    }

    /// A key result record's driver: a member of the owning team.
    fn driver(&mut self, record: &Record, objective: Option<usize>) -> Option<Uuid> {
        let subject = record.get(Column::Person)?;
        let Some(person) = self.person(subject).cloned() else {
            self.refuse(record, Column::Person, Error::not_found("person", format!("{subject:?}")));
            return None;
        };
        let team_id =
            objective.and_then(|o| self.objectives.get(o)).filter(|o| o.team.is_some()).map(|o| o.model.team_id);
        if let Some(team_id) = team_id {
            let member = key_results::write::member_of_team(&person, self.is_member(team_id, person.id));
            self.check(record, Column::Person, member)?;
        }
        Some(person.id)
    }

    pub(super) fn check_ins(&mut self, records: &[&Record]) {
        for record in records {
            let key_result = self.required(record, Column::Parent).and_then(|parent| self.reading_of(record, parent));
            let value = self.required(record, Column::Value).and_then(|_| self.number(record, Column::Value, 0.0));
            let value = value.and_then(|value| self.check(record, Column::Value, validate::number("value", value)));
            let kind = key_result.and_then(|k| self.key_results.get(k)).and_then(|kr| kr.kind);
            if let (Some(value), Some(kind)) = (value, kind) {
                self.check(record, Column::Value, check_ins::fits(kind, value));
            }
            let confidence = self.choice(record, Column::Confidence, Confidence::OnTrack);
            let note = validate::text("note", record.get(Column::Note));
            let note = self.check(record, Column::Note, note).flatten();
            let recorded_at = self.recorded_at(record);
            let author = match record.get(Column::Person) {
                None => Some(self.author),
                Some(subject) => {
                    let found = self.person(subject).map(|p| p.id);
                    if found.is_none() {
                        self.refuse(record, Column::Person, Error::not_found("person", format!("{subject:?}")));
                    }
                    found
                }
            };
            let (Some(k), Some(value), Some(confidence), Some(recorded_at), Some(author_id)) =
                (key_result, value, confidence, recorded_at, author)
            else {
                continue;
            };
            let key_result_id = self.key_results.get(k).and_then(|kr| kr.model.as_ref()).map_or(Uuid::nil(), |m| m.id);
            let row = check_in::Model {
                // Given once all readings are in time order, so that ids sort as the times do.
                id: Uuid::nil(),
                organization_id: self.org,
                key_result_id,
                value,
                confidence,
                note,
                author_id,
                idempotency_key: None,
                recorded_at,
            };
            self.check_ins.push((k, row));
        }
    }

    /// The key result of the file that a check-in record's `parent` names.
    fn reading_of(&mut self, record: &Record, parent: &str) -> Option<usize> {
        match self.refs.get(parent) {
            Some((_, Ref::KeyResult(at))) => Some(*at),
            Some((_, Ref::Objective(_))) => {
                let message = format!("{parent:?} is an objective: a check-in's `parent` is a key result's ref");
                self.refuse(record, Column::Parent, Error::BadUserInput(message));
                None
            }
            None => {
                let error = Error::not_found("key result", format!("{parent:?} (a ref of this file)"));
                self.refuse(record, Column::Parent, error);
                None
            }
        }
    }

    /// When a reading was taken: RFC 3339, or a day (its start, UTC); now when left out.
    /// History is what happened: a reading from the future is refused.
    fn recorded_at(&mut self, record: &Record) -> Option<DateTime<Utc>> {
        let Some(text) = record.get(Column::RecordedAt) else { return Some(self.now) };
        let at = DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).ok().or_else(|| {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc())
        });
        let refusal = match at {
            None => {
                format!("`recordedAt` must be a time like 2026-11-25T09:30:00Z or a day like 2026-11-25, not {text:?}")
            }
            Some(at) if at > self.now => format!("`recordedAt` {text} is in the future: import readings already taken"),
            Some(at) => return Some(at),
        };
        self.refuse(record, Column::RecordedAt, Error::BadUserInput(refusal));
        None
    }

    /// Resolves and checks every objective's `parent` by the alignment rules.
    pub(super) fn align(&mut self) {
        let parents: Vec<Option<Parent>> = (0..self.objectives.len()).map(|at| self.parent(at)).collect();
        for (at, parent) in parents.iter().enumerate() {
            if let Some(objective) = self.objectives.get_mut(at) {
                objective.parent = *parent;
            }
        }
        let looping = loops(&parents);
        for (at, parent) in parents.into_iter().enumerate() {
            let Some(parent) = parent else { continue };
            let Some(child) = self.objectives.get(at) else { continue };
            let (record, kind) = (child.record, child.alignment);
            let checked = match parent {
                Parent::File(of, through) => {
                    let Some(objective) = self.objectives.get(of) else { continue };
                    // The parent, and the child itself when it is among the parent's ancestors:
                    // all the loop rule asks of the chain.
                    let mut chain = vec![objective.model.id];
                    if looping.contains(&at) {
                        chain.push(child.model.id);
                    }
                    let key_result = through.and_then(|k| self.key_results.get(k)).and_then(|k| k.model.as_ref());
                    let parent = alignment::Parent {
                        objective: &objective.model,
                        key_result,
                        cycle: &self.known.cycle,
                        chain: &chain,
                    };
                    check_loaded(&child.model, &self.known.cycle, parent)
                }
                Parent::Existing(id, through) => self.check_existing(&child.model, id, through),
            };
            let Some(link) = self.check(record, Column::Parent, checked) else { continue };
            if let Some(child) = self.objectives.get_mut(at) {
                child.model.parent_objective_id = Some(link.objective_id);
                child.model.parent_key_result_id = link.key_result_id;
                child.model.alignment_kind = Some(kind);
            }
            if kind == AlignmentKind::Contributes
                && matches!(parent, Parent::Existing(..))
                && !self.rolls_into.contains(&link.objective_id)
            {
                self.rolls_into.push(link.objective_id);
            }
        }
    }

    /// An alignment to an existing objective or key result: not into a closed cycle (the
    /// unit of work's rule), and by the alignment rules. No existing objective sits below a
    /// new one, so the parent alone is the chain the loop rule needs.
    fn check_existing(
        &self,
        child: &objective::Model,
        id: Uuid,
        through: Option<Uuid>,
    ) -> crate::Result<alignment::Link> {
        let objective = self.known.objectives.get(&id).ok_or_else(|| Error::not_found("objective", id))?;
        let cycle =
            self.known.cycles.get(&objective.cycle_id).ok_or_else(|| Error::not_found("cycle", objective.cycle_id))?;
        if cycle.state == CycleState::Closed {
            return Err(cycles::frozen::linked_into(cycle));
        }
        let key_result = through.and_then(|k| self.known.key_results.get(&k));
        let parent = alignment::Parent { objective, key_result, cycle, chain: &[objective.id] };
        check_loaded(child, &self.known.cycle, parent)
    }

    /// What the `parent` of objective `at` names, refusing what names nothing.
    fn parent(&mut self, at: usize) -> Option<Parent> {
        let record = self.objectives.get(at)?.record;
        let text = record.get(Column::Parent)?;
        match self.refs.get(text) {
            Some((_, Ref::Objective(of))) => return Some(Parent::File(*of, None)),
            Some((_, Ref::KeyResult(k))) => {
                let of = self.key_results.get(*k)?.objective?;
                return Some(Parent::File(of, Some(*k)));
            }
            None => {}
        }
        let found = match self.ids.decode(text) {
            Some(ObjectiveOrKeyResult::Objective(id)) => {
                self.known.objectives.contains_key(&id).then_some(Parent::Existing(id, None))
            }
            Some(ObjectiveOrKeyResult::KeyResult(id)) => {
                self.known.key_results.get(&id).map(|kr| Parent::Existing(kr.objective_id, Some(id)))
            }
            None => None,
        };
        if found.is_none() {
            let what = format!("{text:?} (neither a ref of this file nor an id the organization knows)");
            self.refuse(record, Column::Parent, Error::not_found("objective or key result", what));
        }
        found
    }

    /// The rules of the objectives' final states: activating (key results, focus) and
    /// closing (key results: only an active objective closes).
    pub(super) fn states(&mut self) {
        let mut active: HashMap<Uuid, u64> = HashMap::new();
        let mut refusals = Vec::new();
        for objective in &self.objectives {
            let state = objective.model.state;
            if committed(state)
                && let Err(error) = life::has_key_results(&objective.model.title, objective.key_results)
            {
                refusals.push((objective.record, error));
                continue;
            }
            let Some(team) = objective.team.as_deref().filter(|_| state == ObjectiveState::Active) else { continue };
            let team_id = objective.model.team_id;
            let count =
                self.known.active.get(&team_id).copied().unwrap_or(0) + active.get(&team_id).copied().unwrap_or(0);
            match focus::room_for_objective(&self.known.policy, team, count) {
                Ok(()) => *active.entry(team_id).or_insert(0) += 1,
                Err(error) => refusals.push((objective.record, error)),
            }
        }
        for (record, error) in refusals {
            self.refuse(record, Column::State, error);
        }
    }
}

/// The objectives of the file that follow their `File` parents back to themselves: each
/// objective has at most one parent, so a walk from each, remembering what it has seen,
/// finds every loop in time proportional to the file.
fn loops(parents: &[Option<Parent>]) -> std::collections::HashSet<usize> {
    let next = |at: usize| match parents.get(at) {
        Some(Some(Parent::File(of, _))) => Some(*of),
        _ => None,
    };
    // 0: not seen; 1: on the walk in progress; 2: done.
    let mut state = vec![0u8; parents.len()];
    let mut looping = std::collections::HashSet::new();
    for start in 0..parents.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(here) = at {
            match state.get(here) {
                Some(0) => {
                    state[here] = 1;
                    walk.push(here);
                    at = next(here);
                }
                Some(1) => {
                    // Back on this walk: everything from `here` on is the loop.
                    let from = walk.iter().position(|w| *w == here).unwrap_or(walk.len());
                    looping.extend(walk[from..].iter().copied());
                    break;
                }
                _ => break,
            }
        }
        for done in walk {
            state[done] = 2;
        }
    }
    looping
}
