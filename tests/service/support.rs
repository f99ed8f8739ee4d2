//! Fixtures: a migrated database holding the demo organization, actors, lookups, and the
//! snapshot that proves a refused write changed nothing.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::{
    AlignmentKind, Confidence, CycleState, FocusPolicyMode, KeyResultKind, KeyResultUnit, ObjectiveState,
    ProgressDriver, TeamRole, audit_event, check_in, cycle, key_result, membership, objective, organization, person,
    team,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use service::check_ins::NewCheckIn;
use service::key_results::write::NewKeyResult;
use service::objectives::ObjectiveOrKeyResult as Parent;
use service::objectives::write::NewObjective;
use service::rules::measurability::Definition;
use service::{Actor, Clock, FixedClock, Identity, OrgRole, Scope, SystemClock, Uuid};
use std::fmt::Debug;
use std::sync::Arc;
use testdb::TestDatabase;

pub const COMPANY_OBJECTIVE: &str = "Improve our processes to drive revenue back to positive";
pub const SALES_OBJECTIVE: &str = "Speed up our sales cycle";
pub const MARKETING_OBJECTIVE: &str = "Fill the pipeline with qualified leads";
pub const PRODUCT_OBJECTIVE: &str = "Make the trial convince buyers on its own";
pub const LEAD_TIME: &str = "Reduce lead to sales time from 60 days to 31 days on average";
pub const CONVERSION: &str = "Increase SQL to trial conversion rate from 30 to 60 %";
pub const ENABLEMENT_KIT: &str = "Ship a sales enablement kit for the new pricing";

/// The pinned "now" of most tests: inside Q4 2026, seven weeks of demo check-ins.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// A calendar day.
pub fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

/// Asserts two progress figures are equal up to rounding.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "expected {expected}, got {actual}");
}

/// A fresh database with the demo organization, and the clock the writes read.
pub struct World {
    pub db: DatabaseConnection,
    pub bus: service::events::Bus,
    pub clock: Arc<dyn Clock>,
    // Declared last: the database goes after the pool.
    _database: TestDatabase,
}

/// Everything a refused write must leave as it was.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    audit_events: u64,
    check_ins: u64,
    cycles: Vec<cycle::Model>,
    objectives: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
}

impl World {
    /// The demo organization at [`now`], on a clock standing there.
    pub async fn demo() -> Self {
        Self::demo_at(Arc::new(FixedClock::new(now())), now()).await
    }

    /// The demo organization on the system clock, so that writes get distinct times.
    pub async fn demo_on_system_clock() -> Self {
        Self::demo_at(Arc::new(SystemClock), Utc::now()).await
    }

    async fn demo_at(clock: Arc<dyn Clock>, at: DateTime<Utc>) -> Self {
        let database = TestDatabase::create().await.unwrap();
        let db = service::db::connect_and_migrate(&database.url).await.unwrap();
        assert!(seed::demo::load(&db, at).await.unwrap());
        let bus = service::events::Bus::new(&db);
        World { db, bus, clock, _database: database }
    }

    /// The actor for `subject` in the demo organization with the token role `role`.
    pub async fn actor(&self, subject: &str, role: OrgRole) -> Actor {
        self.actor_in(seed::demo::SLUG, subject, role).await
    }

    /// The actor for `subject` in organization `org` (an admin token provisions it).
    pub async fn actor_in(&self, org: &str, subject: &str, role: OrgRole) -> Actor {
        let identity = Identity::person(org, subject, role);
        service::actor::identify(&self.db, &*self.clock, &identity).await.unwrap()
    }

    /// A receiver of every event announced from now on, as a subscriber of this process
    /// hears it (on PostgreSQL through the process's NOTIFY listener).
    pub async fn events(&self) -> tokio::sync::broadcast::Receiver<Arc<service::events::Event>> {
        let events = self.bus.subscribe();
        if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            tokio::spawn(service::events::listen(self._database.url.clone(), self.bus.clone()));
            // LISTEN must be in place before the first write.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        events
    }

    /// What a write by `actor` carries.
    pub fn scope<'a>(&'a self, actor: &'a Actor) -> Scope<'a> {
        Scope { db: &self.db, clock: &*self.clock, actor, bus: &self.bus }
    }

    /// The (first) objective titled `title`.
    pub async fn objective(&self, title: &str) -> objective::Model {
        let found = objective::Entity::find().filter(objective::Column::Title.eq(title));
        found.order_by_asc(objective::Column::Id).one(&self.db).await.unwrap().expect(title)
    }

    /// The objective `id` as stored now.
    pub async fn objective_by_id(&self, id: Uuid) -> objective::Model {
        objective::Entity::find_by_id(id).one(&self.db).await.unwrap().unwrap()
    }

    /// The (first) key result titled `title`.
    pub async fn key_result(&self, title: &str) -> key_result::Model {
        let found = key_result::Entity::find().filter(key_result::Column::Title.eq(title));
        found.order_by_asc(key_result::Column::Id).one(&self.db).await.unwrap().expect(title)
    }

    /// The key result `id` as stored now.
    pub async fn key_result_by_id(&self, id: Uuid) -> key_result::Model {
        key_result::Entity::find_by_id(id).one(&self.db).await.unwrap().unwrap()
    }

    /// The key results of `objective_id`, oldest first.
    pub async fn key_results_of(&self, objective_id: Uuid) -> Vec<key_result::Model> {
        let found = key_result::Entity::find().filter(key_result::Column::ObjectiveId.eq(objective_id));
        found.order_by_asc(key_result::Column::Id).all(&self.db).await.unwrap()
    }

    /// The check-ins on `key_result_id`, in recorded order.
    pub async fn check_ins_of(&self, key_result_id: Uuid) -> Vec<check_in::Model> {
        let found = check_in::Entity::find().filter(check_in::Column::KeyResultId.eq(key_result_id));
        let ordered = found.order_by_asc(check_in::Column::RecordedAt).order_by_asc(check_in::Column::Id);
        ordered.all(&self.db).await.unwrap()
    }

    /// The team named `name`.
    pub async fn team(&self, name: &str) -> team::Model {
        team::Entity::find().filter(team::Column::Name.eq(name)).one(&self.db).await.unwrap().expect(name)
    }

    /// The demo person with `subject`.
    pub async fn person(&self, subject: &str) -> person::Model {
        person::Entity::find().filter(person::Column::Subject.eq(subject)).one(&self.db).await.unwrap().expect(subject)
    }

    /// The demo's current quarter (the cycle with a parent).
    pub async fn quarter(&self) -> cycle::Model {
        let found = cycle::Entity::find().filter(cycle::Column::ParentId.is_not_null());
        found.one(&self.db).await.unwrap().unwrap()
    }

    /// The demo organization.
    pub async fn organization(&self) -> organization::Model {
        let found = organization::Entity::find().filter(organization::Column::Slug.eq(seed::demo::SLUG));
        found.one(&self.db).await.unwrap().unwrap()
    }

    /// Adds a cycle to the demo organization.
    pub async fn add_cycle(&self, name: &str, starts_on: NaiveDate, ends_on: NaiveDate) -> cycle::Model {
        let row = cycle::ActiveModel {
            id: Set(service::new_id()),
            organization_id: Set(self.organization().await.id),
            parent_id: Set(None),
            name: Set(name.into()),
            starts_on: Set(starts_on),
            ends_on: Set(ends_on),
            state: Set(CycleState::Planning),
            closed_at: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
        };
        row.insert(&self.db).await.unwrap()
    }

    /// Moves a cycle to `state` behind the service's back.
    pub async fn set_cycle_state(&self, cycle_id: Uuid, state: CycleState) {
        let row = cycle::ActiveModel { id: Set(cycle_id), state: Set(state), ..Default::default() };
        row.update(&self.db).await.unwrap();
    }

    /// Sets the demo organization's objective limit and focus mode.
    pub async fn set_policy(&self, max_objectives_per_team: i32, mode: FocusPolicyMode) {
        let row = organization::ActiveModel {
            id: Set(self.organization().await.id),
            max_objectives_per_team: Set(max_objectives_per_team),
            focus_policy_mode: Set(mode),
            ..Default::default()
        };
        row.update(&self.db).await.unwrap();
    }

    /// Puts `actor` into `team_id` with `role`.
    pub async fn join(&self, actor: &Actor, team_id: Uuid, role: TeamRole) {
        let row = membership::ActiveModel {
            id: Set(service::new_id()),
            organization_id: Set(actor.organization_id()),
            team_id: Set(team_id),
            person_id: Set(actor.person_id()),
            role: Set(role),
            title: Set(None),
            created_at: Set(now()),
            updated_at: Set(now()),
        };
        row.insert(&self.db).await.unwrap();
    }

    /// A DRAFT objective of `team_id` in `cycle_id`, created by `lead` through the service.
    pub async fn draft(&self, lead: &Actor, team_id: Uuid, cycle_id: Uuid, title: &str) -> objective::Model {
        self.draft_aligned(lead, team_id, cycle_id, title, None).await
    }

    /// Like [`World::draft`], aligned at once as CONTRIBUTES to `parent`.
    pub async fn draft_aligned(
        &self,
        lead: &Actor,
        team_id: Uuid,
        cycle_id: Uuid,
        title: &str,
        parent: Option<Parent>,
    ) -> objective::Model {
        let input = NewObjective {
            team_id,
            cycle_id,
            title: title.into(),
            description: None,
            progress_driver: ProgressDriver::KeyResults,
            parent,
            alignment: AlignmentKind::Contributes,
        };
        let created = service::objectives::write::create(self.scope(lead), input).await.unwrap().objective;
        assert_eq!(created.state, ObjectiveState::Draft);
        created
    }

    /// Adds a key result to `objective_id` through the service.
    pub async fn add_key_result(
        &self,
        lead: &Actor,
        objective_id: Uuid,
        title: &str,
        definition: Definition,
    ) -> key_result::Model {
        let input = new_key_result(objective_id, title, definition);
        service::key_results::write::create(self.scope(lead), input).await.unwrap().key_result
    }

    /// How many audit events say `action` about `entity_id`.
    pub async fn audit_events(&self, action: &str, entity_id: Uuid) -> u64 {
        let found = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .filter(audit_event::Column::EntityId.eq(entity_id));
        found.count(&self.db).await.unwrap()
    }

    /// The rows a refused write must not touch.
    pub async fn snapshot(&self) -> Snapshot {
        Snapshot {
            audit_events: audit_event::Entity::find().count(&self.db).await.unwrap(),
            check_ins: check_in::Entity::find().count(&self.db).await.unwrap(),
            cycles: cycle::Entity::find().order_by_asc(cycle::Column::Id).all(&self.db).await.unwrap(),
            objectives: objective::Entity::find().order_by_asc(objective::Column::Id).all(&self.db).await.unwrap(),
            key_results: key_result::Entity::find().order_by_asc(key_result::Column::Id).all(&self.db).await.unwrap(),
        }
    }

    /// Runs `write`, expects it refused with `code`, and checks that it left no row and
    /// no audit event behind. Returns the error for checks of its message.
    pub async fn refuses<T: Debug>(
        &self,
        code: &str,
        write: impl Future<Output = service::Result<T>>,
    ) -> service::Error {
        let before = self.snapshot().await;
        let error = write.await.expect_err("the write should have been refused");
        assert_eq!(error.code(), code, "refused for another reason: {error}");
        assert_eq!(self.snapshot().await, before, "a refused write must change nothing");
        error
    }
}

/// A NUMBER key result of `kind` from `start` to `target`, weight 1.
pub fn measure(kind: KeyResultKind, start: f64, target: f64) -> Definition {
    Definition { kind, unit: KeyResultUnit::Number, unit_label: None, start, target, weight: 1.0 }
}

/// An input for [`service::key_results::write::create`] without a driver.
pub fn new_key_result(objective_id: Uuid, title: &str, definition: Definition) -> NewKeyResult {
    NewKeyResult { objective_id, title: title.into(), definition, driver_id: None }
}

/// An ON_TRACK reading of `value` without note or idempotency key.
pub fn reading(key_result_id: Uuid, value: f64) -> NewCheckIn {
    NewCheckIn { key_result_id, value, confidence: Confidence::OnTrack, note: None, idempotency_key: None }
}
