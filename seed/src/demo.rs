//! The demo organization "Company X" from our product story, for `trellis serve --demo`.
//! Every row goes in through the service's own writes, as the people of the story make
//! them: the demo is proof that the rules accept it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{AlignmentKind, Confidence, KeyResultKind, KeyResultUnit, Perspective, ProgressDriver, TeamRole};
use service::check_ins::{self, NewCheckIn};
use service::cycles::write::{self as cycles, NewCycle};
use service::events::Bus;
use service::key_results::write::{self as key_results, NewKeyResult};
use service::objectives::write::{self as objectives, NewObjective};
use service::objectives::{ObjectiveOrKeyResult, life};
use service::planning::dependencies;
use service::rhythm::weeks::{self, Item, Section, Week};
use service::rules::measurability::Definition;
use service::strategy::write::{self as strategy, NewTheme};
use service::teams::write::{self as teams, Who};
use service::{Actor, DatabaseConnection, FixedClock, Identity, OrgRole, Result, Scope, actor, organizations};
use uuid::Uuid;

/// The demo organization's slug.
pub const SLUG: &str = "company-x";
/// The subject of the demo's admin (the CEO), for the token `serve --demo` prints.
pub const ADMIN_SUBJECT: &str = "dana";

/// Loads the demo organization unless it is already there. Returns whether it loaded.
pub async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool> {
    if organizations::by_slug(db, SLUG).await?.is_some() {
        return Ok(false);
    }
    let clock = FixedClock::new(now);
    organizations::provision(db, &clock, SLUG, "Company X", "Europe/Berlin").await?;
    let dana = person(db, &clock, "dana", "Dana Whitfield", OrgRole::Admin).await?;
    let bus = Bus::local(1);
    let seed = Seed { db, clock: &clock, bus: &bus, dana: &dana, now };
    seed.all().await?;
    Ok(true)
}

/// Who acts in the story: a token's verified claims for one of its people.
async fn person(
    db: &DatabaseConnection,
    clock: &FixedClock,
    subject: &str,
    name: &str,
    role: OrgRole,
) -> Result<Actor> {
    let identity = Identity {
        email: Some(format!("{subject}@company-x.example")),
        name: Some(name.into()),
        ..Identity::person(SLUG, subject, role)
    };
    actor::identify(db, clock, &identity).await
}

struct Seed<'a> {
    db: &'a DatabaseConnection,
    clock: &'a FixedClock,
    bus: &'a Bus,
    dana: &'a Actor,
    now: DateTime<Utc>,
}

/// The first day of the quarter holding `day`, and its last day.
fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_month = (day.month0() / 3) * 3 + 1;
    let start = NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
    let next = if first_month == 10 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), first_month + 3, 1)
    };
    (start, next.and_then(|d| d.pred_opt()).unwrap_or(day))
}

impl Seed<'_> {
    fn by<'s>(&'s self, actor: &'s Actor) -> Scope<'s> {
        Scope { db: self.db, clock: self.clock, actor, bus: self.bus }
    }

    fn admin(&self) -> Scope<'_> {
        self.by(self.dana)
    }

    async fn all(&self) -> Result<()> {
        let today = self.now.date_naive();
        let company = teams::create(self.admin(), "Company X", None).await?.id;
        let sales = teams::create(self.admin(), "Sales", Some(company)).await?.id;
        let marketing = teams::create(self.admin(), "Marketing", Some(company)).await?.id;
        let product = teams::create(self.admin(), "Product", Some(company)).await?.id;
        teams::add_member(self.admin(), company, Who::Person(self.dana.person_id()), TeamRole::Lead, Some("CEO"))
            .await?;
        let sam = self.member(sales, "sam", "Sam Ortega", TeamRole::Lead, "Head of Sales").await?;
        let sid = self.member(sales, "sid", "Sid Patel", TeamRole::Member, "SDR").await?;
        let maria = self.member(marketing, "maria", "Maria Jensen", TeamRole::Lead, "Head of Marketing").await?;
        let pat = self.member(product, "pat", "Pat Kim", TeamRole::Lead, "Product lead").await?;

        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
        let year = self.cycle(&today.year().to_string(), year_start, year_end, None).await?;
        let (q_start, q_end) = quarter_of(today);
        let quarter_name = format!("Q{} {}", today.month0() / 3 + 1, today.year());
        let quarter = self.cycle(&quarter_name, q_start, q_end, Some(year)).await?;

        let goal = Okr { cycle: quarter, driver: ProgressDriver::AlignedObjectives, parent: None };
        let company_objective =
            self.objective(company, "Improve our processes to drive revenue back to positive", goal).await?;
        // Its progress is its teams', but an active objective needs a measurable result.
        let revenue = measure(KeyResultKind::Increase, KeyResultUnit::Percent, -4.0, 2.0);
        self.key_result(company_objective, "Turn quarterly revenue growth from -4 % to +2 %", revenue, None).await?;
        let contributes = Okr {
            cycle: quarter,
            driver: ProgressDriver::KeyResults,
            parent: Some((company_objective, AlignmentKind::Contributes)),
        };
        let sales_objective = self.objective(sales, "Speed up our sales cycle", contributes).await?;
        let lead_time = self
            .key_result(
                sales_objective,
                "Reduce lead to sales time from 60 days to 31 days on average",
                measure(KeyResultKind::Decrease, KeyResultUnit::DurationDays, 60.0, 31.0),
                Some(sam.person_id()),
            )
            .await?;
        let conversion = self
            .key_result(
                sales_objective,
                "Increase SQL to trial conversion rate from 30 to 60 %",
                measure(KeyResultKind::Increase, KeyResultUnit::Percent, 30.0, 60.0),
                Some(sid.person_id()),
            )
            .await?;
        let marketing_objective =
            self.objective(marketing, "Fill the pipeline with qualified leads", contributes).await?;
        let mqls = self
            .key_result(
                marketing_objective,
                "Grow marketing-qualified leads from 120 to 200 a month",
                measure(KeyResultKind::Increase, KeyResultUnit::Number, 120.0, 200.0),
                Some(maria.person_id()),
            )
            .await?;
        let kit = self
            .key_result(
                marketing_objective,
                "Ship a sales enablement kit for the new pricing",
                measure(KeyResultKind::Milestone, KeyResultUnit::Number, 0.0, 1.0),
                Some(maria.person_id()),
            )
            .await?;
        let supports = Okr { parent: Some((company_objective, AlignmentKind::Supports)), ..contributes };
        let product_objective = self.objective(product, "Make the trial convince buyers on its own", supports).await?;
        let activation = self
            .key_result(
                product_objective,
                "Raise trial activation from 25 % to 45 %",
                measure(KeyResultKind::Increase, KeyResultUnit::Percent, 25.0, 45.0),
                Some(pat.person_id()),
            )
            .await?;
        for objective in [company_objective, sales_objective, marketing_objective, product_objective] {
            life::activate(self.admin(), objective).await?;
        }

        let weeks = ((today - q_start).num_days() / 7).clamp(1, 12) as usize;
        let readings: [(Uuid, &Actor, &[f64]); 4] = [
            (lead_time, &sam, &[58.0, 55.0, 53.0, 50.0, 48.0, 46.0, 45.0, 43.0, 41.0, 40.0, 38.0, 36.0]),
            (conversion, &sid, &[31.0, 33.0, 34.0, 36.0, 38.0, 39.0, 41.0, 42.0, 44.0, 45.0, 47.0, 48.0]),
            (mqls, &maria, &[125.0, 131.0, 128.0, 140.0, 146.0, 150.0, 158.0, 161.0, 166.0, 170.0, 175.0, 180.0]),
            (activation, &pat, &[26.0, 27.0, 27.5, 29.0, 30.0, 31.0, 31.5, 32.0, 33.0, 34.0, 35.0, 36.0]),
        ];
        // Week by week, as the teams checked in.
        for week in 0..weeks {
            let at = q_start.and_hms_opt(9, 0, 0).map(|t| t.and_utc()).unwrap_or(self.now)
                + Duration::weeks(week as i64 + 1);
            self.clock.set(at.min(self.now));
            for (key_result, author, values) in readings {
                let Some(value) = values.get(week) else { continue };
                let at_risk = key_result == activation && week + 1 == weeks;
                let confidence = if at_risk { Confidence::AtRisk } else { Confidence::OnTrack };
                let reading = NewCheckIn {
                    key_result_id: key_result,
                    value: *value,
                    confidence,
                    note: None,
                    idempotency_key: None,
                };
                check_ins::record(self.by(author), reading).await?;
            }
        }
        self.clock.set(self.now);
        dependencies::create(
            self.by(&sam),
            ObjectiveOrKeyResult::Objective(sales_objective),
            ObjectiveOrKeyResult::KeyResult(kit),
            Some("Sales needs the enablement kit from Marketing before the new pricing launches"),
        )
        .await?;
        self.sales_week(sales, &sam, conversion).await?;
        self.strategy(company_objective, year_start).await
    }

    /// Company X's strategy for three years, as the four Balanced Scorecard perspectives;
    /// the company objective serves two of them, and nobody works on learning this quarter.
    async fn strategy(&self, company_objective: Uuid, from: NaiveDate) -> Result<()> {
        let themes = [
            ("Return to profitable growth", Perspective::Financial, "#2f855a"),
            ("Be the supplier customers recommend", Perspective::Customer, "#2b6cb0"),
            ("Sell without friction", Perspective::InternalProcesses, "#c05621"),
            ("Learn faster than the market", Perspective::LearningAndGrowth, "#6b46c1"),
        ];
        let mut ids = Vec::new();
        for (position, (name, perspective, colour)) in themes.into_iter().enumerate() {
            let theme = NewTheme {
                name: name.into(),
                description: None,
                perspective: Some(perspective),
                colour: colour.into(),
                position: i32::try_from(position).unwrap_or_default(),
                starts_on: from,
                ends_on: from.with_year(from.year() + 3).and_then(|d| d.pred_opt()),
            };
            ids.push(strategy::create(self.admin(), theme).await?.id);
        }
        let served = ids[..3].to_vec();
        strategy::set_objective_themes(self.admin(), company_objective, served).await?;
        Ok(())
    }

    /// Sales's note of this week, as Sam wrote it for the weekly meeting.
    async fn sales_week(&self, sales: Uuid, sam: &Actor, conversion: Uuid) -> Result<()> {
        let item = |section, text: &str, key_result_id| Item {
            section,
            text: text.into(),
            key_result_id,
            initiative_id: None,
        };
        let items = vec![
            item(Section::Progress, "Trial conversion is up again this week", Some(conversion)),
            item(Section::Plan, "Call every new trial on its third day", Some(conversion)),
            item(Section::Problem, "The pricing pages still show the old plans: waiting for Marketing's kit", None),
            item(
                Section::Lesson,
                "Trials that speak to a person in their first week convert twice as often",
                Some(conversion),
            ),
        ];
        weeks::write_note(self.by(sam), sales, Week::containing(self.now), items).await?;
        Ok(())
    }

    async fn member(&self, team: Uuid, subject: &str, name: &str, role: TeamRole, title: &str) -> Result<Actor> {
        let who = Who::Subject {
            subject: subject.into(),
            display_name: Some(name.into()),
            email: Some(format!("{subject}@company-x.example")),
        };
        teams::add_member(self.admin(), team, who, role, Some(title)).await?;
        person(self.db, self.clock, subject, name, OrgRole::Member).await
    }

    async fn cycle(
        &self,
        name: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        parent_id: Option<Uuid>,
    ) -> Result<Uuid> {
        let cycle = cycles::create(self.admin(), NewCycle { name: name.into(), starts_on, ends_on, parent_id }).await?;
        cycles::activate(self.admin(), cycle.id).await?;
        Ok(cycle.id)
    }

    async fn objective(&self, team_id: Uuid, title: &str, okr: Okr) -> Result<Uuid> {
        let input = NewObjective {
            team_id,
            cycle_id: okr.cycle,
            title: title.into(),
            description: None,
            progress_driver: okr.driver,
            parent: okr.parent.map(|(parent, _)| ObjectiveOrKeyResult::Objective(parent)),
            alignment: okr.parent.map_or(AlignmentKind::Contributes, |(_, kind)| kind),
        };
        Ok(objectives::create(self.admin(), input).await?.objective.id)
    }

    async fn key_result(
        &self,
        objective_id: Uuid,
        title: &str,
        definition: Definition,
        driver_id: Option<Uuid>,
    ) -> Result<Uuid> {
        let input = NewKeyResult { objective_id, title: title.into(), definition, driver_id };
        Ok(key_results::create(self.admin(), input).await?.key_result.id)
    }
}

/// What a seeded key result measures, with weight 1.
fn measure(kind: KeyResultKind, unit: KeyResultUnit, start: f64, target: f64) -> Definition {
    Definition { kind, unit, unit_label: None, start, target, weight: 1.0 }
}

/// Where a seeded objective sits.
#[derive(Clone, Copy)]
struct Okr {
    cycle: Uuid,
    driver: ProgressDriver,
    parent: Option<(Uuid, AlignmentKind)>,
}

#[cfg(test)]
mod tests {
    use super::quarter_of;
    use chrono::NaiveDate;

    #[test]
    fn quarters_end_on_their_last_day() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(quarter_of(d("2026-11-25")), (d("2026-10-01"), d("2026-12-31")));
        assert_eq!(quarter_of(d("2027-02-03")), (d("2027-01-01"), d("2027-03-31")));
    }
}
