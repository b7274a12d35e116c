//! Photo rows on SQLite and on PostgreSQL (as a role under RLS): insert, the duplicate guard,
//! processing outcomes, keyset pages, the dashboard figures, and tenant scoping.

use chrono::Duration;
use domain::{
    EventId, EventSettings, EventSlug, EventStatus, EventZone, OrgName, PhotoId, PhotoStatus,
    TenantId,
};
use store::{
    Db, DbOptions, Event, EventRepo, Photo, PhotoRepo, ProcessedPhoto, Scope, StoreError,
    StoredRendition, Tenant, TenantRepo,
};
use test_support::{TestDatabase, db_test};

async fn open(tdb: &TestDatabase) -> Db {
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database")
}

/// A tenant with one event.
async fn seed(db: &Db, name: &str) -> (TenantId, EventId) {
    let now = domain::time::now();
    let t = Tenant {
        id: TenantId::new(),
        name: OrgName::parse(name).expect("org name"),
        created_at: now,
    };
    let e = Event {
        id: EventId::new(),
        tenant_id: t.id,
        slug: EventSlug::parse("party").expect("slug"),
        name: "Party".into(),
        venue: String::new(),
        description: String::new(),
        time_zone: EventZone::parse("UTC").expect("zone"),
        starts_at: now,
        ends_at: now + Duration::hours(5),
        status: EventStatus::Live,
        settings: EventSettings::default(),
        join_nonce: "n".into(),
        created_by: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = db.begin(Scope::Tenant(t.id)).await.expect("begin");
    tx.insert_tenant(&t).await.expect("tenant");
    tx.insert_event(t.id, &e).await.expect("event");
    tx.commit().await.expect("commit");
    (t.id, e.id)
}

fn photo(tenant: TenantId, event: EventId, sha: &str, who: &str, at_secs: i64) -> Photo {
    let id = PhotoId::new();
    Photo {
        id,
        tenant_id: tenant,
        event_id: event,
        uploaded_by: None,
        guest_id: None,
        uploader_name: who.into(),
        sha256: sha.into(),
        kind: "jpeg".into(),
        original_key: format!("{tenant}/{event}/{id}/original.jpg"),
        original_bytes: 1000,
        status: PhotoStatus::Processing,
        failure: None,
        width: None,
        height: None,
        taken_at_local: None,
        taken_offset: None,
        camera_make: None,
        camera_model: None,
        lens: None,
        placeholder: None,
        renditions: Vec::new(),
        storage_bytes: 1000,
        created_at: chrono::DateTime::from_timestamp(1_780_000_000 + at_secs, 0).expect("time"),
        processed_at: None,
        reaction_count: 0,
        on_wall_at: None,
        caption: None,
    }
}

db_test!(
    async fn the_photo_repository_works_on_both_backends(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let photos: Vec<Photo> = (0..5)
            .map(|i| photo(t, e, &format!("sha-{i}"), if i < 3 { "Ana" } else { "Ben" }, i))
            .collect();
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        for p in &photos {
            tx.insert_photo(t, p).await.expect("insert");
        }
        tx.commit().await.expect("commit");
        // The same bytes twice in one event: refused, so the caller returns the first.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let dup = photo(t, e, "sha-0", "Ana", 9);
        assert!(matches!(
            tx.insert_photo(t, &dup).await,
            Err(StoreError::Conflict("sha256"))
        ));
        drop(tx);

        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let found = tx.find_photo_by_hash(t, e, "sha-0").await.expect("find").expect("there");
        assert_eq!(found, photos[0]);
        let done = ProcessedPhoto {
            width: 4000,
            height: 3000,
            taken_at_local: Some("2026-06-20T14:03:11".into()),
            taken_offset: Some("+02:00".into()),
            camera_make: Some("Apple".into()),
            camera_model: Some("iPhone 15".into()),
            lens: None,
            placeholder: "3OcRJYB4d3h/iIeHeEh3eIhw+j2w".into(),
            renditions: vec![
                StoredRendition { max_edge: 1920, width: 1920, height: 1440, key: "k1".into(), bytes: 300 },
                StoredRendition { max_edge: 150, width: 150, height: 113, key: "k3".into(), bytes: 5 },
            ],
        };
        let now = domain::time::now();
        assert!(tx.finish_photo(t, photos[0].id, PhotoStatus::Published, &done, now).await.expect("finish"));
        assert!(
            !tx.finish_photo(t, photos[0].id, PhotoStatus::Published, &done, now).await.expect("again"),
            "a second run changes nothing"
        );
        assert!(tx.finish_photo(t, photos[1].id, PhotoStatus::PendingReview, &done, now).await.expect("finish"));
        assert!(tx.fail_photo(t, photos[2].id, "media_corrupt", now).await.expect("fail"));
        let got = tx.get_photo(t, photos[0].id).await.expect("get").expect("there");
        assert_eq!(got.status, PhotoStatus::Published);
        assert_eq!((got.width, got.height), (Some(4000), Some(3000)));
        assert_eq!(got.renditions, done.renditions);
        assert_eq!(got.storage_bytes, 1000 + 305);
        assert_eq!(got.taken_offset.as_deref(), Some("+02:00"));
        let failed = tx.get_photo(t, photos[2].id).await.expect("get").expect("there");
        assert_eq!(failed.failure.as_deref(), Some("media_corrupt"));

        let stats = tx.event_photo_stats(t, e).await.expect("stats");
        assert_eq!(stats.photos, 4, "failed ones are not counted");
        assert_eq!((stats.published, stats.pending_review, stats.processing, stats.failed), (1, 1, 2, 1));
        assert_eq!(stats.contributors, 2);
        assert_eq!(stats.storage_bytes, 1305 + 1305 + 1000 * 3);
        assert_eq!(
            tx.top_contributors(t, e, 5).await.expect("top"),
            [("Ana".to_owned(), 2), ("Ben".to_owned(), 2)],
            "most first, then by name; failed photos not counted"
        );
        let hours = tx.uploads_by_hour(t, e).await.expect("hours");
        assert_eq!(hours.iter().map(|(_, n)| n).sum::<i64>(), 4);
        assert_eq!(hours[0].0.len(), 13, "an hour label like 2026-06-20T14: {hours:?}");

        // Pages of two, newest first, every photo once.
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let (page, more) = tx.list_event_photos(t, e, &Default::default(), before, 2).await.expect("page");
            seen.extend(page.iter().map(|p| p.id));
            before = page.last().map(|p| (p.created_at, p.id));
            if !more {
                break;
            }
        }
        let expected: Vec<PhotoId> = photos.iter().rev().map(|p| p.id).collect();
        assert_eq!(seen, expected);
        tx.commit().await.expect("commit");

        // Another organization sees none of it, even asking by id.
        let (other, other_event) = seed(&db, "Mallory's Events").await;
        let mut tx = db.begin(Scope::Tenant(other)).await.expect("begin");
        assert!(tx.get_photo(other, photos[0].id).await.expect("get").is_none());
        assert!(tx.find_photo_by_hash(other, e, "sha-0").await.expect("find").is_none());
        assert_eq!(tx.event_photo_stats(other, e).await.expect("stats").photos, 0);
        assert!(tx.list_event_photos(other, other_event, &Default::default(), None, 10).await.expect("list").0.is_empty());
        assert!(!tx.fail_photo(other, photos[3].id, "x", now).await.expect("fail"));
        assert!(matches!(
            tx.get_photo(t, photos[0].id).await,
            Err(StoreError::ScopeMismatch)
        ));
        tx.commit().await.expect("commit");
    }
);

db_test!(
    async fn gallery_pages_stay_stable_while_photos_arrive(tdb) {
        use store::{GalleryQuery, GallerySort, GalleryCursor};
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut p = photo(t, e, &format!("s{i}"), "Ana", i);
            p.status = PhotoStatus::Published;
            tx.insert_photo(t, &p).await.expect("insert");
            ids.push(p.id);
        }
        tx.commit().await.expect("commit");
        let page = |after: Option<GalleryCursor>| {
            let db = db.clone();
            async move {
                let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
                let q = GalleryQuery { sort: GallerySort::Newest, after, limit: 2, ..GalleryQuery::default() };
                let r = tx.list_gallery(t, e, &q).await.expect("page");
                tx.commit().await.expect("commit");
                r
            }
        };
        let (first, more) = page(None).await;
        assert!(more);
        assert_eq!(first.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[4], ids[3]]);
        // A new photo arrives (newest of all) between page 1 and page 2.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let mut late = photo(t, e, "late", "Ben", 100);
        late.status = PhotoStatus::Published;
        tx.insert_photo(t, &late).await.expect("insert");
        tx.commit().await.expect("commit");
        let last = first.last().expect("last");
        let cursor = GalleryCursor { reactions: last.reaction_count, created_at: last.created_at, id: last.id };
        let (second, _) = page(Some(cursor)).await;
        assert_eq!(
            second.iter().map(|p| p.id).collect::<Vec<_>>(),
            [ids[2], ids[1]],
            "no photo repeated or skipped; the new one waits at the top of page 1"
        );
        let (fresh, _) = page(None).await;
        assert_eq!(fresh[0].id, late.id);
    }
);

/// What the gallery, the dashboard and the event page read about an event.
#[derive(Debug, PartialEq)]
struct Figures {
    who: Vec<(String, i64)>,
    top: Vec<(String, i64)>,
    stats: store::EventPhotoStats,
    reactions: i64,
    views: i64,
}

async fn figures(db: &Db, t: TenantId, e: EventId) -> Figures {
    use store::{ReactionRepo, ViewRepo};
    let mut tx = db.begin_read(Scope::Tenant(t)).await.expect("begin");
    let stats = tx.event_photo_stats(t, e).await.expect("stats");
    let hours: i64 = tx
        .uploads_by_hour(t, e)
        .await
        .expect("hours")
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        hours, stats.photos,
        "the chart counts the photos in the running"
    );
    let f = Figures {
        who: tx.gallery_uploaders(t, e, 200).await.expect("who"),
        top: tx.top_contributors(t, e, 5).await.expect("top"),
        stats,
        reactions: tx.count_event_reactions(t, e).await.expect("reactions"),
        views: tx.count_event_views(t, e).await.expect("views"),
    };
    tx.commit().await.expect("commit");
    f
}

db_test!(
    async fn event_counters_follow_every_change(tdb) {
        use domain::GuestId;
        use store::{ReactionRepo, ViewRepo};
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let (ana, ben) = (GuestId::new(), GuestId::new());
        let mut ps = vec![
            photo(t, e, "a1", "Ana", 0),
            photo(t, e, "a2", "Ana", 1),
            photo(t, e, "b1", "Ben", 3600),
            photo(t, e, "c1", "Cy", 7200),
        ];
        ps[0].guest_id = Some(ana);
        ps[1].guest_id = Some(ana);
        ps[2].guest_id = Some(ben);
        let id = |i: usize| ps[i].id;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        for p in &ps {
            tx.insert_photo(t, p).await.expect("insert");
        }
        tx.commit().await.expect("commit");

        let figures = || figures(&db, t, e);
        let who = |list: &[(&str, i64)]| -> Vec<(String, i64)> {
            list.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
        };

        let f = figures().await;
        assert_eq!(f.who, who(&[]), "nothing a guest may see yet");
        assert_eq!((f.stats.processing, f.stats.photos, f.stats.contributors), (4, 4, 3));
        assert_eq!(f.stats.storage_bytes, 4000);

        // Processed: two published, one waiting for approval, one failed.
        let done = ProcessedPhoto {
            width: 10,
            height: 10,
            placeholder: "p".into(),
            renditions: vec![StoredRendition { max_edge: 150, width: 10, height: 10, key: "k".into(), bytes: 50 }],
            ..ProcessedPhoto::default()
        };
        let now = domain::time::now();
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert!(tx.finish_photo(t, id(0), PhotoStatus::Published, &done, now).await.expect("finish"));
        assert!(tx.finish_photo(t, id(1), PhotoStatus::PendingReview, &done, now).await.expect("finish"));
        assert!(tx.finish_photo(t, id(2), PhotoStatus::Published, &done, now).await.expect("finish"));
        assert!(tx.fail_photo(t, id(3), "not a photo", now).await.expect("fail"));
        tx.commit().await.expect("commit");
        let f = figures().await;
        assert_eq!(f.who, who(&[("Ana", 1), ("Ben", 1)]), "only published photos, by name");
        assert_eq!(f.top, who(&[("Ana", 2), ("Ben", 1)]), "waiting ones count on the dashboard");
        assert_eq!(
            (f.stats.published, f.stats.pending_review, f.stats.processing, f.stats.failed),
            (2, 1, 0, 1)
        );
        assert_eq!((f.stats.photos, f.stats.contributors), (3, 2));
        assert_eq!(f.stats.storage_bytes, 3 * 1050 + 1000);

        // Hidden by a member, and held after reports: gone from the "who" list.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let moderate = |from: PhotoStatus, to: PhotoStatus| (vec![from], to);
        let (from, to) = moderate(PhotoStatus::Published, PhotoStatus::Hidden);
        assert!(tx.moderate_photo(t, id(2), &from, to, None, now).await.expect("hide"));
        let (from, to) = moderate(PhotoStatus::Published, PhotoStatus::PendingReview);
        assert!(tx.moderate_photo(t, id(0), &from, to, None, now).await.expect("hold"));
        tx.commit().await.expect("commit");
        let f = figures().await;
        assert_eq!(f.who, who(&[]));
        assert_eq!(f.top, who(&[("Ana", 2)]));
        assert_eq!((f.stats.published, f.stats.pending_review, f.stats.photos, f.stats.contributors), (0, 2, 2, 1));

        // Restored and approved.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let (from, to) = moderate(PhotoStatus::Hidden, PhotoStatus::Published);
        assert!(tx.moderate_photo(t, id(2), &from, to, None, now).await.expect("restore"));
        for i in [0, 1] {
            let (from, to) = moderate(PhotoStatus::PendingReview, PhotoStatus::Published);
            assert!(tx.moderate_photo(t, id(i), &from, to, None, now).await.expect("approve"));
        }
        tx.commit().await.expect("commit");
        let f = figures().await;
        assert_eq!(f.who, who(&[("Ana", 2), ("Ben", 1)]));
        assert_eq!((f.stats.published, f.stats.photos, f.stats.contributors), (3, 3, 2));

        // Reactions and views, toggled and counted once per person.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert!(tx.toggle_reaction(t, e, id(0), "g:x", "heart", now).await.expect("on"));
        assert!(tx.toggle_reaction(t, e, id(0), "g:y", "laugh", now).await.expect("on"));
        assert!(tx.toggle_reaction(t, e, id(2), "g:x", "heart", now).await.expect("on"));
        assert!(!tx.toggle_reaction(t, e, id(2), "g:x", "heart", now).await.expect("off"));
        assert!(tx.record_view(t, e, id(0), "g:x", now).await.expect("view"));
        assert!(!tx.record_view(t, e, id(0), "g:x", now).await.expect("again"));
        assert!(tx.record_view(t, e, id(2), "g:x", now).await.expect("view"));
        tx.commit().await.expect("commit");
        let f = figures().await;
        assert_eq!((f.reactions, f.views), (2, 2));

        // Deleted: the photo, its reactions and its views leave every figure.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert!(tx.delete_photo(t, id(0)).await.expect("delete"));
        tx.commit().await.expect("commit");
        let f = figures().await;
        assert_eq!(f.who, who(&[("Ana", 1), ("Ben", 1)]));
        assert_eq!((f.stats.published, f.stats.photos, f.stats.contributors), (2, 2, 2));
        assert_eq!(f.stats.storage_bytes, 2 * 1050 + 1000);
        assert_eq!((f.reactions, f.views), (0, 1));

        // Another organization's transaction cannot read them.
        let (other, _) = seed(&db, "Mallory's Events").await;
        let mut tx = db.begin_read(Scope::Tenant(other)).await.expect("begin");
        assert!(matches!(tx.gallery_uploaders(t, e, 200).await, Err(StoreError::ScopeMismatch)));
        assert!(tx.gallery_uploaders(other, e, 200).await.expect("who").is_empty());
        assert_eq!(tx.count_event_reactions(other, e).await.expect("reactions"), 0);
    }
);

db_test!(
    async fn photo_details_are_corrected_in_place_and_counters_follow(tdb) {
        use store::{GalleryQuery, PhotoDetails};
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let mut ids = Vec::new();
        for i in 0..3 {
            let mut p = photo(t, e, &format!("d{i}"), "Ana", i);
            p.status = PhotoStatus::Published;
            if i == 0 {
                p.caption = Some("At the door".into());
            }
            tx.insert_photo(t, &p).await.expect("insert");
            ids.push(p.id);
        }
        tx.commit().await.expect("commit");

        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let first = tx.get_photo(t, ids[0]).await.expect("get").expect("there");
        assert_eq!(first.caption.as_deref(), Some("At the door"), "the caption is read back");
        let fixed = PhotoDetails {
            caption: Some("Cutting the cake".into()),
            uploader_name: "Anna Lima".into(),
            taken_at_local: Some("2026-06-20T18:30:00".into()),
            taken_offset: Some("+02:00".into()),
        };
        assert!(tx.update_photo_details(t, ids[1], &fixed).await.expect("update"));
        let got = tx.get_photo(t, ids[1]).await.expect("get").expect("there");
        assert_eq!(PhotoDetails::of(&got), fixed);
        assert_eq!(got.created_at, photo(t, e, "x", "Ana", 1).created_at, "arrival time untouched");
        // The "who" counters follow the new name; the gallery keeps its order.
        assert_eq!(
            tx.gallery_uploaders(t, e, 10).await.expect("who"),
            [("Ana".to_owned(), 2), ("Anna Lima".to_owned(), 1)]
        );
        let q = GalleryQuery { limit: 10, ..GalleryQuery::default() };
        let (page, _) = tx.list_gallery(t, e, &q).await.expect("gallery");
        assert_eq!(page.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[2], ids[1], ids[0]]);
        let cleared = PhotoDetails { caption: None, taken_at_local: None, taken_offset: None, ..fixed };
        assert!(tx.update_photo_details(t, ids[1], &cleared).await.expect("clear"));
        let got = tx.get_photo(t, ids[1]).await.expect("get").expect("there");
        assert_eq!((got.caption, got.taken_at_local), (None, None));
        tx.commit().await.expect("commit");

        // Another organization cannot touch it.
        let (other, _) = seed(&db, "Mallory's Events").await;
        let mut tx = db.begin(Scope::Tenant(other)).await.expect("begin");
        assert!(!tx.update_photo_details(other, ids[0], &cleared).await.expect("update"));
        tx.commit().await.expect("commit");
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let first = tx.get_photo(t, ids[0]).await.expect("get").expect("there");
        assert_eq!(first.caption.as_deref(), Some("At the door"));
        tx.commit().await.expect("commit");
    }
);
