//! Places: the sites of an organization.

use super::conns::Conns;
use gatehouse_domain::{diff, Actor, NewEvent, Place, PlaceFields, Timestamp};
use gatehouse_store::{Paged, PlaceQuery, PlaceSort, StoreError, StoreResult};
use serde_json::{json, Map, Value};
use sqlx::QueryBuilder;

use super::rows::{PlaceRow, PLACES_WITH_FAVORITES, PLACE_COLUMNS};
use super::{db, events, fetch_page, like_pattern, push_id_filter, Db};

pub(super) async fn list(
    pool: &Conns,
    organization_id: i64,
    query: &PlaceQuery,
) -> StoreResult<Paged<Place>> {
    let viewer = query.viewer_user_id.unwrap_or(0);
    let from_where = |sql: &mut QueryBuilder<'_, Db>| {
        sql.push(PLACES_WITH_FAVORITES)
            .push_bind(viewer)
            .push(" WHERE p.organization_id = ")
            .push_bind(organization_id);
        if let Some(ids) = &query.ids {
            push_id_filter(sql, "p.id", ids);
        }
        if let Some(text) = &query.query {
            sql.push(" AND p.search LIKE ")
                .push_bind(like_pattern(text))
                .push(" ESCAPE '\\'");
        }
        match query.favorite {
            Some(true) => sql.push(" AND f.user_id IS NOT NULL"),
            Some(false) => sql.push(" AND f.user_id IS NULL"),
            None => sql,
        };
    };
    let (rows, total) = fetch_page::<PlaceRow>(
        pool,
        "SELECT COUNT(*)",
        PLACE_COLUMNS,
        &from_where,
        match query.sort {
        PlaceSort::Id => " ORDER BY p.id",
        PlaceSort::Name => " ORDER BY p.search, p.id",
        PlaceSort::NameDesc => " ORDER BY p.search DESC, p.id DESC",
        // Favorites first, the most recently marked first.
        PlaceSort::Favorite => {
            " ORDER BY CASE WHEN f.created_at IS NULL THEN 1 ELSE 0 END, f.created_at DESC, p.id"
        }
    },
        query.page,
    )
    .await?;
    let with_favorite = query.viewer_user_id.is_some();
    Ok(Paged {
        items: rows
            .into_iter()
            .map(|row| row.into_place(with_favorite))
            .collect(),
        total,
    })
}

pub(super) async fn get<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    organization_id: i64,
    id: i64,
    favorite_of: Option<i64>,
) -> StoreResult<Place> {
    let mut select = QueryBuilder::<Db>::new(PLACE_COLUMNS);
    push_one(&mut select, organization_id, id, favorite_of);
    let row: PlaceRow = select
        .build_query_as()
        .fetch_one(executor)
        .await
        .map_err(db)?;
    Ok(row.into_place(favorite_of.is_some()))
}

fn push_one(sql: &mut QueryBuilder<'_, Db>, organization_id: i64, id: i64, viewer: Option<i64>) {
    sql.push(PLACES_WITH_FAVORITES)
        .push_bind(viewer.unwrap_or(0))
        .push(" WHERE p.organization_id = ")
        .push_bind(organization_id)
        .push(" AND p.id = ")
        .push_bind(id);
}

pub(super) async fn create(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    fields: &PlaceFields,
    now: Timestamp,
) -> StoreResult<Place> {
    let (Some(name), Some(address)) = (&fields.name, &fields.address) else {
        return Err(StoreError::conflict("name", "and address are required"));
    };
    let mut tx = super::begin(pool).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO places (organization_id, name, search, description, address, latitude, \
         longitude, image, time_zone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(organization_id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(fields.description.clone().flatten())
    .bind(address)
    .bind(fields.latitude.flatten())
    .bind(fields.longitude.flatten())
    .bind(fields.image.clone().flatten())
    .bind(fields.time_zone.clone().flatten())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let place = get(&mut *tx, organization_id, id, None).await?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Place",
            "create",
            id,
            name,
            json!({
                "name": name,
                "address": address,
            }),
        )
        .in_place(Some(id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(place)
}

pub(super) async fn update(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    fields: &PlaceFields,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let old = get(&mut *tx, organization_id, id, None).await?;
    let new = Place {
        name: fields.name.clone().unwrap_or_else(|| old.name.clone()),
        address: fields
            .address
            .clone()
            .unwrap_or_else(|| old.address.clone()),
        description: fields
            .description
            .clone()
            .unwrap_or_else(|| old.description.clone()),
        latitude: fields.latitude.unwrap_or(old.latitude),
        longitude: fields.longitude.unwrap_or(old.longitude),
        image: fields.image.clone().unwrap_or_else(|| old.image.clone()),
        time_zone: fields
            .time_zone
            .clone()
            .unwrap_or_else(|| old.time_zone.clone()),
        ..old.clone()
    };
    let mut details = Map::new();
    diff(&mut details, "name", &old.name, &new.name);
    diff(&mut details, "address", &old.address, &new.address);
    diff(
        &mut details,
        "description",
        &old.description,
        &new.description,
    );
    diff(&mut details, "latitude", &old.latitude, &new.latitude);
    diff(&mut details, "longitude", &old.longitude, &new.longitude);
    diff(&mut details, "image", &old.image, &new.image);
    diff(&mut details, "time_zone", &old.time_zone, &new.time_zone);
    if details.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE places SET name = $1, search = $2, address = $3, description = $4, latitude = $5, \
         longitude = $6, image = $7, time_zone = $8, updated_at = $9 \
         WHERE id = $10 AND organization_id = $11",
    )
    .bind(&new.name)
    .bind(new.name.to_lowercase())
    .bind(&new.address)
    .bind(&new.description)
    .bind(new.latitude)
    .bind(new.longitude)
    .bind(&new.image)
    .bind(&new.time_zone)
    .bind(now)
    .bind(id)
    .bind(organization_id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Place",
            "update",
            id,
            &new.name,
            Value::Object(details),
        )
        .in_place(Some(id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn delete(
    pool: &Conns,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    let place = get(&mut *tx, organization_id, id, None).await?;
    sqlx::query("DELETE FROM favorites WHERE object_type = 'Place' AND object_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM places WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(organization_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    events::record(
        &mut tx,
        actor,
        NewEvent::change(
            organization_id,
            "Place",
            "destroy",
            id,
            &place.name,
            json!({}),
        )
        .in_place(Some(id)),
        now,
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn set_favorite(
    pool: &Conns,
    organization_id: i64,
    id: i64,
    user_id: i64,
    favorite: bool,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = super::begin(pool).await?;
    get(&mut *tx, organization_id, id, None).await?;
    let statement = if favorite {
        sqlx::query(
            "INSERT INTO favorites (user_id, object_type, object_id, created_at) \
             VALUES ($1, 'Place', $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(id)
        .bind(now)
    } else {
        sqlx::query(
            "DELETE FROM favorites WHERE user_id = $1 AND object_type = 'Place' AND object_id = $2",
        )
        .bind(user_id)
        .bind(id)
    };
    statement.execute(&mut *tx).await.map_err(db)?;
    tx.commit().await.map_err(db)
}
