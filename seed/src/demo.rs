//! The demo organization "Company X" from our product story, for `trellis serve --demo`.

use crate::{Result, audit, check_ins, db, new_id, progress};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::*;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::{Timestamp, Uuid};

/// The demo organization's slug.
pub const SLUG: &str = "company-x";
/// The subject of the demo's admin (the CEO), for the token `serve --demo` prints.
pub const ADMIN_SUBJECT: &str = "dana";

/// Loads the demo organization unless it is already there. Returns whether it loaded.
pub async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<bool> {
    let exists = organization::Entity::find().filter(organization::Column::Slug.eq(SLUG)).one(db).await?;
    if exists.is_some() {
        return Ok(false);
    }
    let txn = db::begin_write(db).await?;
    let mut seed = Seed { db: &txn, org: new_id(), now };
    seed.all().await?;
    txn.commit().await?;
    Ok(true)
}

struct Seed<'a, C> {
    db: &'a C,
    org: Uuid,
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

impl<C: ConnectionTrait> Seed<'_, C> {
    async fn all(&mut self) -> Result<()> {
        let today = self.now.date_naive();
        self.organization().await?;
        let dana = self.person("dana", "Dana Whitfield").await?;
        let sam = self.person("sam", "Sam Ortega").await?;
        let sid = self.person("sid", "Sid Patel").await?;
        let maria = self.person("maria", "Maria Jensen").await?;
        let pat = self.person("pat", "Pat Kim").await?;

        let company = self.team("Company X", None).await?;
        let sales = self.team("Sales", Some(company)).await?;
        let marketing = self.team("Marketing", Some(company)).await?;
        let product = self.team("Product", Some(company)).await?;
        self.member(company, dana, TeamRole::Lead, Some("CEO")).await?;
        self.member(sales, sam, TeamRole::Lead, Some("Head of Sales")).await?;
        self.member(sales, sid, TeamRole::Member, Some("SDR")).await?;
        self.member(marketing, maria, TeamRole::Lead, Some("Head of Marketing")).await?;
        self.member(product, pat, TeamRole::Lead, Some("Product lead")).await?;

        let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
        let year = self.cycle(&today.year().to_string(), year_start, year_end, None).await?;
        let (q_start, q_end) = quarter_of(today);
        let quarter_name = format!("Q{} {}", today.month0() / 3 + 1, today.year());
        let quarter = self.cycle(&quarter_name, q_start, q_end, Some(year)).await?;

        let goal = Okr { cycle: quarter, driver: ProgressDriver::AlignedObjectives, parent: None };
        let company_objective =
            self.objective(company, "Improve our processes to drive revenue back to positive", goal).await?;
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
                KeyResultKind::Decrease,
                KeyResultUnit::DurationDays,
                60.0,
                31.0,
                Some(sam),
            )
            .await?;
        let conversion = self
            .key_result(
                sales_objective,
                "Increase SQL to trial conversion rate from 30 to 60 %",
                KeyResultKind::Increase,
                KeyResultUnit::Percent,
                30.0,
                60.0,
                Some(sid),
            )
            .await?;
        let marketing_objective =
            self.objective(marketing, "Fill the pipeline with qualified leads", contributes).await?;
        let mqls = self
            .key_result(
                marketing_objective,
                "Grow marketing-qualified leads from 120 to 200 a month",
                KeyResultKind::Increase,
                KeyResultUnit::Number,
                120.0,
                200.0,
                Some(maria),
            )
            .await?;
        let kit = self
            .key_result(
                marketing_objective,
                "Ship a sales enablement kit for the new pricing",
                KeyResultKind::Milestone,
                KeyResultUnit::Number,
                0.0,
                1.0,
                Some(maria),
            )
            .await?;
        let supports = Okr { parent: Some((company_objective, AlignmentKind::Supports)), ..contributes };
        let product_objective = self.objective(product, "Make the trial convince buyers on its own", supports).await?;
        let activation = self
            .key_result(
                product_objective,
                "Raise trial activation from 25 % to 45 %",
                KeyResultKind::Increase,
                KeyResultUnit::Percent,
                25.0,
                45.0,
                Some(pat),
            )
            .await?;

        let weeks = ((today - q_start).num_days() / 7).clamp(1, 12) as usize;
        let readings: [(Uuid, Uuid, &[f64]); 4] = [
            (lead_time, sam, &[58.0, 55.0, 53.0, 50.0, 48.0, 46.0, 45.0, 43.0, 41.0, 40.0, 38.0, 36.0]),
            (conversion, sid, &[31.0, 33.0, 34.0, 36.0, 38.0, 39.0, 41.0, 42.0, 44.0, 45.0, 47.0, 48.0]),
            (mqls, maria, &[125.0, 131.0, 128.0, 140.0, 146.0, 150.0, 158.0, 161.0, 166.0, 170.0, 175.0, 180.0]),
            (activation, pat, &[26.0, 27.0, 27.5, 29.0, 30.0, 31.0, 31.5, 32.0, 33.0, 34.0, 35.0, 36.0]),
        ];
        for (key_result, author, values) in readings {
            for (week, value) in values.iter().take(weeks).enumerate() {
                let at = q_start.and_hms_opt(9, 0, 0).map(|t| t.and_utc()).unwrap_or(self.now)
                    + Duration::weeks(week as i64 + 1);
                let confidence = if key_result == activation && week + 1 == weeks {
                    Confidence::AtRisk
                } else {
                    Confidence::OnTrack
                };
                self.check_in(key_result, author, *value, confidence, at.min(self.now)).await?;
            }
        }
        for objective in [sales_objective, marketing_objective, product_objective] {
            progress::refresh_chain(self.db, self.org, objective, self.now).await?;
        }
        self.dependency(
            sales_objective,
            marketing_objective,
            Some(kit),
            "Sales needs the enablement kit from Marketing before the new pricing launches",
        )
        .await?;
        audit::record(
            self.db,
            audit::Change {
                organization_id: self.org,
                actor_id: None,
                action: "organization.seed_demo",
                entity_type: "organization",
                entity_id: self.org,
                before: None,
                after: Some(serde_json::json!({ "slug": SLUG })),
            },
            self.now,
        )
        .await?;
        Ok(())
    }

    async fn organization(&self) -> Result<()> {
        organization::Entity::insert(organization::ActiveModel {
            id: Set(self.org),
            name: Set("Company X".into()),
            slug: Set(SLUG.into()),
            timezone: Set("Europe/Berlin".into()),
            max_objectives_per_team: Set(5),
            max_key_results_per_objective: Set(5),
            focus_policy_mode: Set(FocusPolicyMode::Enforce),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(())
    }

    async fn person(&self, subject: &str, name: &str) -> Result<Uuid> {
        let id = new_id();
        person::Entity::insert(person::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org),
            subject: Set(subject.into()),
            email: Set(Some(format!("{subject}@company-x.example"))),
            display_name: Set(Some(name.into())),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn team(&self, name: &str, parent_id: Option<Uuid>) -> Result<Uuid> {
        let id = new_id();
        team::Entity::insert(team::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org),
            parent_id: Set(parent_id),
            name: Set(name.into()),
            archived_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn member(&self, team_id: Uuid, person_id: Uuid, role: TeamRole, title: Option<&str>) -> Result<()> {
        membership::Entity::insert(membership::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(self.org),
            team_id: Set(team_id),
            person_id: Set(person_id),
            role: Set(role),
            title: Set(title.map(str::to_owned)),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(())
    }

    async fn cycle(
        &self,
        name: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        parent_id: Option<Uuid>,
    ) -> Result<Uuid> {
        let id = new_id();
        cycle::Entity::insert(cycle::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org),
            parent_id: Set(parent_id),
            name: Set(name.into()),
            starts_on: Set(starts_on),
            ends_on: Set(ends_on),
            state: Set(CycleState::Active),
            closed_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn objective(&self, team_id: Uuid, title: &str, okr: Okr) -> Result<Uuid> {
        let id = new_id();
        objective::Entity::insert(objective::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org),
            team_id: Set(team_id),
            cycle_id: Set(okr.cycle),
            title: Set(title.into()),
            description: Set(None),
            state: Set(ObjectiveState::Active),
            parent_objective_id: Set(okr.parent.map(|(parent, _)| parent)),
            parent_key_result_id: Set(None),
            alignment_kind: Set(okr.parent.map(|(_, kind)| kind)),
            progress_driver: Set(okr.driver),
            progress: Set(0.0),
            closing_note: Set(None),
            final_score: Set(None),
            carried_over_from_id: Set(None),
            archived_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    #[expect(clippy::too_many_arguments, reason = "a seed row, read as a table")]
    async fn key_result(
        &self,
        objective_id: Uuid,
        title: &str,
        kind: KeyResultKind,
        unit: KeyResultUnit,
        start: f64,
        target: f64,
        driver_id: Option<Uuid>,
    ) -> Result<Uuid> {
        let id = new_id();
        key_result::Entity::insert(key_result::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org),
            objective_id: Set(objective_id),
            title: Set(title.into()),
            kind: Set(kind),
            unit: Set(unit),
            unit_label: Set(None),
            start_value: Set(start),
            target_value: Set(target),
            current_value: Set(start),
            weight: Set(1.0),
            driver_id: Set(driver_id),
            progress: Set(0.0),
            latest_confidence: Set(None),
            check_in_count: Set(0),
            last_check_in_at: Set(None),
            archived_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(id)
    }

    async fn check_in(
        &self,
        key_result_id: Uuid,
        author_id: Uuid,
        value: f64,
        confidence: Confidence,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let seconds = at.timestamp().max(0) as u64;
        let id = Uuid::new_v7(Timestamp::from_unix(uuid::NoContext, seconds, at.timestamp_subsec_nanos()));
        let reading = check_in::Model {
            id,
            organization_id: self.org,
            key_result_id,
            value,
            confidence,
            note: None,
            author_id,
            idempotency_key: None,
            recorded_at: at,
        };
        check_in::Entity::insert(check_in::ActiveModel::from(reading.clone())).exec_without_returning(self.db).await?;
        let Some(kr) = key_result::Entity::find_by_id(key_result_id).one(self.db).await? else {
            return Err(crate::Error::not_found("key result", key_result_id));
        };
        check_ins::apply(self.db, kr, &reading).await?;
        Ok(())
    }

    async fn dependency(&self, from: Uuid, to: Uuid, to_key_result: Option<Uuid>, note: &str) -> Result<()> {
        dependency::Entity::insert(dependency::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(self.org),
            from_objective_id: Set(from),
            from_key_result_id: Set(None),
            to_objective_id: Set(to),
            to_key_result_id: Set(to_key_result),
            note: Set(Some(note.into())),
            state: Set(DependencyState::Open),
            created_by_id: Set(None),
            resolved_at: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        })
        .exec_without_returning(self.db)
        .await?;
        Ok(())
    }
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
