//! Person and member records: people are created unless their subject is known (as
//! adding an unseen subject to a team creates them), memberships unless they exist.

use super::{PersonAt, Planner};
use crate::Error;
use crate::new_id;
use crate::rules::validate;
use crate::teams::write as team_rules;
use crate::transfer::file::{Column, Record};
use entity::{TeamRole, membership, person};

/// Longest display name and email a person row holds.
const MAX_DISPLAY_NAME: usize = 200;
const MAX_EMAIL: usize = 320;

impl Planner<'_, '_> {
    pub(super) fn people(&mut self, records: &[&Record]) {
        for record in records {
            let Some(subject) = self.subject(record) else { continue };
            if let Some(first) = self.subjects.get(&subject).and_then(|at| self.people.get(*at)) {
                let message = format!("person {subject:?} is in the file already, on line {}", first.line);
                self.refuse(record, Column::Person, Error::Conflict(message));
                continue;
            }
            let display_name = self.bounded(record, Column::DisplayName, MAX_DISPLAY_NAME);
            let email = self.bounded(record, Column::Email, MAX_EMAIL);
            let at = match self.known.people.get(&subject) {
                Some(known) => PersonAt { line: record.line, model: known.clone(), new: false },
                None => {
                    PersonAt { line: record.line, model: self.new_person(&subject, display_name, email), new: true }
                }
            };
            self.subjects.insert(subject, self.people.len());
            self.people.push(at);
        }
    }

    pub(super) fn members(&mut self, records: &[&Record]) {
        for record in records {
            let team = self.required(record, Column::Team).map(|name| {
                self.team(name).and_then(|team| team_rules::live(team).map(|()| (team.id, team.name.clone())))
            });
            let team = team.and_then(|team| self.check(record, Column::Team, team));
            let person = self.subject(record).map(|subject| self.member(record, &subject));
            let role = self.choice(record, Column::Role, TeamRole::Member);
            let title = self.check(record, Column::Title, team_rules::title_of(record.get(Column::Title)));
            let (Some((team_id, team_name)), Some(person_id), Some(role), Some(title)) = (team, person, role, title)
            else {
                continue;
            };
            if let Some(line) = self.memberships.get(&(team_id, person_id)) {
                let message = format!("this membership is in the file already, on line {line}");
                self.refuse(record, Column::Person, Error::Conflict(message));
                continue;
            }
            if let Some(held) = self.known.memberships.get(&(team_id, person_id)) {
                if *held != role {
                    let message = format!(
                        "that person is in team {team_name:?} already, with another role: update the membership instead"
                    );
                    self.refuse(record, Column::Role, Error::Conflict(message));
                }
                continue;
            }
            self.memberships.insert((team_id, person_id), record.line);
            self.new_memberships.push(membership::Model {
                id: new_id(),
                organization_id: self.org,
                team_id,
                person_id,
                role,
                title,
                created_at: self.now,
                updated_at: self.now,
            });
        }
    }

    /// The member a member record names: someone known or created by the file, else
    /// created now with the subject alone.
    fn member(&mut self, record: &Record, subject: &str) -> uuid::Uuid {
        if let Some(person) = self.person(subject) {
            return person.id;
        }
        let model = self.new_person(subject, None, None);
        let id = model.id;
        self.subjects.insert(subject.to_owned(), self.people.len());
        self.people.push(PersonAt { line: record.line, model, new: true });
        id
    }

    /// The record's `person`, a subject as a token carries it.
    pub(super) fn subject(&mut self, record: &Record) -> Option<String> {
        let subject = self.required(record, Column::Person)?;
        self.check(record, Column::Person, validate::title("person", subject))
    }

    fn bounded(&mut self, record: &Record, column: Column, max: usize) -> Option<String> {
        let value = record.get(column)?;
        self.check(record, column, validate::limit(column.name(), value, max)).map(|()| value.to_owned())
    }

    fn new_person(&self, subject: &str, display_name: Option<String>, email: Option<String>) -> person::Model {
        person::Model {
            id: new_id(),
            organization_id: self.org,
            subject: subject.to_owned(),
            email,
            display_name,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}
