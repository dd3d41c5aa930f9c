//! Path and query parameters shared by several operations, named in their
//! `params(...)`. The handlers take these as plain strings and check them
//! themselves; what the checks accept comes from the same constants here.

use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

use crate::domain::listing::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::model::kinds::ObjectKind;

/// The ids platforms give their objects (checked by `publish`).
const LOCAL_ID_PATTERN: &str = "^[A-Za-z0-9._~-]{1,128}$";

// utoipa's builders are taken by value and consumed by `build`.
#[allow(clippy::needless_pass_by_value)]
fn parameter(
    name: &str,
    place: ParameterIn,
    description: &str,
    schema: ObjectBuilder,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place.clone())
        .required(if place == ParameterIn::Path {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema.build()))
        .build()
}

fn collection() -> Parameter {
    let names = ObjectKind::ALL.map(ObjectKind::collection);
    parameter(
        "collection",
        ParameterIn::Path,
        "the kind of object, by its collection",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names)),
    )
}

fn local_id() -> Parameter {
    parameter(
        "local_id",
        ParameterIn::Path,
        "the platform's own id: 1 to 128 of A-Z a-z 0-9 - _ . ~",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(LOCAL_ID_PATTERN)),
    )
}

macro_rules! parameters {
    ($($(#[$doc:meta])* $name:ident => [$($parameter:expr),+];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![$($parameter),+]
            }
        }
    )*};
}

parameters! {
    /// `{collection}` of a listing.
    Collection => [collection()];
    /// `{collection}/{local_id}`: one of the platform's objects.
    ObjectAddress => [collection(), local_id()];
    /// `{local_id}` of a charter.
    CharterId => [local_id()];
    /// `{id}`: a row id this API gave (a follow, request, peer, webhook).
    RowId => [parameter(
        "id",
        ParameterIn::Path,
        "an id this API gave",
        ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)),
    )];
    /// `{collection}/{id}` of a catalog item.
    CatalogAddress => [collection(), parameter(
        "id",
        ParameterIn::Path,
        "the object's URI, URL-encoded",
        ObjectBuilder::new().schema_type(Type::String),
    )];
    /// `cursor` and `limit` of a paged listing.
    Paging => [
        parameter(
            "cursor",
            ParameterIn::Query,
            "the next_cursor of the previous page (or the `Link: rel=\"next\"` of an admin list)",
            ObjectBuilder::new().schema_type(Type::String),
        ),
        parameter(
            "limit",
            ParameterIn::Query,
            "items per page",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(MAX_LIMIT))
                .default(Some(DEFAULT_LIMIT.into())),
        )
    ];
}
