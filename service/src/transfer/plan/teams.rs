//! Team records: a team is created unless a live team of its name exists, inside the
//! team its `parent` names, and the file's teams never nest inside themselves.

use super::{Planner, TeamAt};
use crate::new_id;
use crate::rules::validate;
use crate::teams::write as team_rules;
use crate::transfer::file::{Column, Record};
use crate::{Error, Result};
use entity::team;
use std::collections::HashMap;
use uuid::Uuid;

impl<'r> Planner<'_, 'r> {
    pub(super) fn teams(&mut self, records: &[&'r Record]) {
        // Names first: a parent may come later in the file than its children.
        for record in records {
            let Some(name) = self.required(record, Column::Team) else { continue };
            let Some(name) = self.check(record, Column::Team, validate::title("team", name)) else { continue };
            if let Some(first) = self.team_names.get(&name).and_then(|at| self.teams.get(*at)) {
                let message = format!("team {name:?} is in the file already, on line {}", first.record.line);
                self.refuse(record, Column::Team, Error::Conflict(message));
                continue;
            }
            let live: Vec<&team::Model> = self.live_teams(&name);
            let (model, new) = match live.as_slice() {
                [] => (self.new_team(&name), true),
                [only] => ((*only).clone(), false),
                _ => {
                    self.refuse(record, Column::Team, ambiguous(&name, live.len()));
                    continue;
                }
            };
            self.team_names.insert(name, self.teams.len());
            self.teams.push(TeamAt { record, model, new });
        }
        for at in 0..self.teams.len() {
            self.nest(at);
        }
        self.refuse_loops();
    }

    fn new_team(&self, name: &str) -> team::Model {
        team::Model {
            id: new_id(),
            organization_id: self.org,
            parent_id: None,
            name: name.to_owned(),
            check_in_rhythm_days: None,
            archived_at: None,
            created_at: self.now,
            updated_at: self.now,
        }
    }

    fn live_teams(&self, name: &str) -> Vec<&'_ team::Model> {
        let known = self.known.teams.get(name).map(Vec::as_slice).unwrap_or_default();
        known.iter().filter(|t| t.archived_at.is_none()).collect()
    }

    /// Puts the team of `self.teams[at]` inside the team its record's `parent` names: a
    /// new team there, a kept one only if it is there already.
    fn nest(&mut self, at: usize) {
        let Some(TeamAt { record, model, new }) = self.teams.get(at) else { return };
        let (record, id, new, current) = (*record, model.id, *new, model.parent_id);
        let Some(parent_name) = record.get(Column::Parent) else { return };
        let parent = self.team(parent_name).and_then(|p| team_rules::live(p).map(|()| p.id));
        let Some(parent) = self.check(record, Column::Parent, parent) else { return };
        if new {
            if let Some(at) = self.teams.get_mut(at) {
                at.model.parent_id = Some(parent);
            }
        } else if current != Some(parent) && parent != id {
            let name = record.get(Column::Team).unwrap_or_default();
            let message = format!(
                "team {name:?} exists, but not inside {parent_name:?}: move it with updateTeam first, or leave \
                 `parent` empty to keep it where it is"
            );
            self.refuse(record, Column::Parent, Error::Conflict(message));
        } else if parent == id {
            self.refuse(record, Column::Parent, team_rules::nested_in_itself());
        }
    }

    /// Refuses each new team that would sit inside itself: only new teams can, since no
    /// existing team sits inside a new one.
    fn refuse_loops(&mut self) {
        let parents: HashMap<Uuid, Uuid> =
            self.teams.iter().filter(|t| t.new).filter_map(|t| Some((t.model.id, t.model.parent_id?))).collect();
        let looping: Vec<&'r Record> =
            self.teams.iter().filter(|t| t.new && on_loop(t.model.id, &parents)).map(|t| t.record).collect();
        for record in looping {
            self.refuse(record, Column::Parent, team_rules::nested_in_itself());
        }
    }

    /// The team `name` names: one of the file's team records, else the organization's live
    /// team of that name (or its archived one, which the caller's rule refuses).
    pub(super) fn team(&self, name: &str) -> Result<&team::Model> {
        if let Some(at) = self.team_names.get(name).and_then(|at| self.teams.get(*at)) {
            return Ok(&at.model);
        }
        let live = self.live_teams(name);
        match (live.as_slice(), self.known.teams.get(name).and_then(|all| all.first())) {
            ([only], _) => Ok(only),
            ([], Some(archived)) => Ok(archived),
            ([], None) => Err(Error::not_found("team", format!("{name:?}"))),
            (many, _) => Err(ambiguous(name, many.len())),
        }
    }

    /// The new teams, each after its parent.
    pub(super) fn new_teams(&mut self) -> Vec<team::Model> {
        let new: Vec<team::Model> = self.teams.iter().filter(|t| t.new).map(|t| t.model.clone()).collect();
        let parents: HashMap<Uuid, Uuid> = new.iter().filter_map(|t| Some((t.id, t.parent_id?))).collect();
        let mut ordered: Vec<(usize, team::Model)> = new.into_iter().map(|t| (depth(t.id, &parents), t)).collect();
        ordered.sort_by_key(|(depth, _)| *depth);
        ordered.into_iter().map(|(_, t)| t).collect()
    }
}

fn ambiguous(name: &str, count: usize) -> Error {
    Error::Conflict(format!("{count} live teams are named {name:?}: rename all but one before importing"))
}

/// Whether following `parents` from `id` comes back to it.
fn on_loop(id: Uuid, parents: &HashMap<Uuid, Uuid>) -> bool {
    let mut at = id;
    for _ in 0..=parents.len() {
        match parents.get(&at) {
            Some(parent) if *parent == id => return true,
            Some(parent) => at = *parent,
            None => return false,
        }
    }
    false
}

/// How many `parents` links lead up from `id` (loops are refused before this is asked).
fn depth(id: Uuid, parents: &HashMap<Uuid, Uuid>) -> usize {
    let mut at = id;
    let mut depth = 0;
    while let Some(parent) = parents.get(&at) {
        depth += 1;
        at = *parent;
        if depth > parents.len() {
            break;
        }
    }
    depth
}
