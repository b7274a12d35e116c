//! The guests' gallery: what a guest of an event sees of everyone's photos, page by page, and
//! what they do there that is not a change of a photo (views, the gallery as a ZIP).

use domain::{GuestVisibility, PhotoId, PhotoStatus, TenantId};
use store::{
    Event, GalleryCursor, GalleryQuery, Photo, PhotoRepo, ReactionRepo, ReactionSummary, Scope,
    ViewRepo,
};

use crate::{Ctx, Error, Services};

/// One page of the gallery as a guest sees it.
#[derive(Debug, Clone)]
pub struct GalleryView {
    /// Empty where the event is a drop box (guests see only their own photos).
    pub photos: Vec<Photo>,
    /// Another page follows.
    pub more: bool,
    /// The names guests may filter by, sorted: people with photos in the gallery.
    pub uploaders: Vec<String>,
    /// The photos' reaction counts and the guest's own reactions.
    pub reactions: ReactionSummary,
}

fn guest_of(ctx: &Ctx, event: &Event) -> Result<domain::GuestId, Error> {
    ctx.guest_of(event.id).ok_or(Error::NotFound)
}

/// A page of `event`'s gallery for the guest acting in `ctx`.
pub async fn guest_gallery(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    query: &GalleryQuery,
) -> Result<GalleryView, Error> {
    let guest = guest_of(ctx, event)?;
    if event.settings.guest_visibility == GuestVisibility::Own {
        return Ok(GalleryView {
            photos: Vec::new(),
            more: false,
            uploaders: Vec::new(),
            reactions: ReactionSummary::default(),
        });
    }
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let (photos, more) = tx.list_gallery(tenant, event.id, query).await?;
    let named = tx.gallery_uploaders(tenant, event.id, 200).await?;
    let ids: Vec<PhotoId> = photos.iter().map(|p| p.id).collect();
    let reactions = tx
        .reaction_summary(tenant, &ids, &format!("g:{guest}"))
        .await?;
    tx.commit().await?;
    // Only people with photos in the gallery (published): never anyone whose photos are
    // waiting for approval or held after reports.
    let uploaders: Vec<String> = named
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| !n.is_empty())
        .collect();
    Ok(GalleryView {
        photos,
        more,
        uploaders,
        reactions,
    })
}

/// One photo of `event`'s gallery as the acting guest sees it, with its reaction counts and
/// the guest's own reactions (the photo's own page, for browsers without the lightbox).
pub async fn guest_photo(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    id: PhotoId,
) -> Result<(Photo, ReactionSummary), Error> {
    let guest = guest_of(ctx, event)?;
    let photo = crate::photos::gallery_photo_of(services, ctx, event, id).await?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let reactions = tx
        .reaction_summary(tenant, &[photo.id], &format!("g:{guest}"))
        .await?;
    tx.commit().await?;
    Ok((photo, reactions))
}

/// The photos of the gallery's ZIP for a guest: what the filters show in a shared gallery, or
/// their own published photos in a drop box.
pub async fn guest_archive(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    query: GalleryQuery,
) -> Result<Vec<Photo>, Error> {
    let guest = guest_of(ctx, event)?;
    let tenant = ctx.tenant;
    if event.settings.guest_visibility == GuestVisibility::Everyone {
        return every_match(services, tenant, event.id, query).await;
    }
    let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
    let own = tx.list_guest_photos(tenant, event.id, guest, 500).await?;
    tx.commit().await?;
    Ok(own
        .into_iter()
        .filter(|p| p.status == PhotoStatus::Published)
        .collect())
}

/// Every photo a gallery query matches, page by page (keyset), for archives.
pub async fn every_match(
    services: &Services,
    tenant: TenantId,
    event: domain::EventId,
    mut q: GalleryQuery,
) -> Result<Vec<Photo>, Error> {
    q.after = None;
    q.limit = 200;
    let mut out = Vec::new();
    loop {
        let mut tx = services.db.begin_read(Scope::Tenant(tenant)).await?;
        let (page, more) = tx.list_gallery(tenant, event, &q).await?;
        tx.commit().await?;
        q.after = page.last().map(GalleryCursor::after);
        out.extend(page);
        if !more {
            return Ok(out);
        }
    }
}

/// The guest opened a photo of the gallery in the lightbox: counted once per guest.
pub async fn record_view(
    services: &Services,
    ctx: &Ctx,
    event: &Event,
    photo: PhotoId,
) -> Result<(), Error> {
    let guest = guest_of(ctx, event)?;
    let tenant = ctx.tenant;
    let mut tx = services.db.begin(Scope::Tenant(tenant)).await?;
    let seen = tx
        .get_photo(tenant, photo)
        .await?
        .is_some_and(|p| crate::photos::guest_sight(event, guest, &p).in_gallery());
    if !seen {
        return Err(Error::NotFound);
    }
    tx.record_view(tenant, event.id, photo, &format!("g:{guest}"), ctx.now)
        .await?;
    tx.commit().await?;
    Ok(())
}
