//! `Person` and `Membership`.

use crate::graphql::connection::{Conn, PageArgs, from_rows};
use crate::graphql::context::scope;
use crate::graphql::enums::TeamRole;
use crate::graphql::error::GqlResult;
use crate::graphql::ids::{Kind, encode};
use crate::graphql::initiative::Initiative;
use crate::graphql::team::Team;
use async_graphql::{Context, ID, Object, Result};
use entity::{membership, person};

/// Someone who signs in.
pub struct Person(pub std::sync::Arc<person::Model>);

#[Object]
impl Person {
    pub async fn id(&self) -> ID {
        encode(Kind::Person, self.0.id)
    }
    /// The identity provider's subject for this person.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn display_name(&self) -> Option<&str> {
        self.0.display_name.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The initiatives assigned to this person.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn initiatives(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Initiative>> {
        let rows = scope(ctx)?.loaders.initiatives_of_person.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Initiative, |i| i.id, Initiative)
    }
    /// The teams this person belongs to.
    #[graphql(complexity = "PageArgs::complexity(first, last, child_complexity)")]
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Membership>> {
        let rows = scope(ctx)?.loaders.memberships_of_person.load_one(self.0.id).await.gql()?.unwrap_or_default();
        from_rows(rows, &PageArgs::new(first, after, last, before), Kind::Membership, |m| m.id, Membership)
    }
}

/// A person in a team.
pub struct Membership(pub std::sync::Arc<membership::Model>);

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        encode(Kind::Membership, self.0.id)
    }
    async fn role(&self) -> TeamRole {
        self.0.role.into()
    }
    /// A role title such as "SDR" or "Tech lead".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        Ok(scope(ctx)?.loaders.teams.load_one(self.0.team_id).await.gql()?.map(Team))
    }
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Ok(scope(ctx)?.loaders.people.load_one(self.0.person_id).await.gql()?.map(Person))
    }
}
