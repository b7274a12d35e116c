//! Lucky draws on SQLite and on PostgreSQL (as a role under RLS): every repository method, the
//! lock that closing the entries sets, the append-only records (refused by the database itself,
//! also to raw SQL and on PostgreSQL to the migration owner), the one-win-per-entry rule, and
//! deleting an event or organization that holds a finished draw.

use chrono::{DateTime, Duration, Utc};
use domain::draw::Outcome;
use domain::{
    DrawId, EntryRule, EventId, EventSettings, EventSlug, EventStatus, EventZone, GuestId,
    ManualEntryId, OrgName, PhotoId, PhotoStatus, TenantId,
};
use store::{
    Candidate, Conn, Db, DbOptions, Draw, DrawLock, DrawPick, DrawRepo, DrawTier, Event, EventRepo,
    Guest, GuestRepo, LockedEntry, ManualEntry, Photo, PhotoRepo, Scope, StoreError, Tenant,
    TenantRepo, Tx,
};
use test_support::{TestBackend, TestDatabase, db_test};
use uuid::Uuid;

async fn open(tdb: &TestDatabase) -> Db {
    Db::open(&tdb.url, tdb.admin_url.as_deref(), &DbOptions::default())
        .await
        .expect("open the test database")
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + secs, 0).expect("time")
}

/// A tenant with one event.
async fn seed(db: &Db, name: &str) -> (TenantId, EventId) {
    let now = at(0);
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

/// A guest of the event with `published` photos in the gallery.
async fn guest(tx: &mut Tx, t: TenantId, e: EventId, name: &str, published: u32) -> GuestId {
    let g = Guest {
        id: GuestId::new(),
        tenant_id: t,
        event_id: e,
        name: name.into(),
        blocked_at: None,
        created_at: at(1),
        last_seen_at: at(1),
    };
    tx.insert_guest(t, &g, &format!("token-{}", g.id))
        .await
        .expect("guest");
    for i in 0..published {
        let p = photo(t, e, Some(g.id), &format!("{}-{i}", g.id));
        tx.insert_photo(t, &p).await.expect("photo");
    }
    g.id
}

fn photo(t: TenantId, e: EventId, g: Option<GuestId>, sha: &str) -> Photo {
    let id = PhotoId::new();
    Photo {
        id,
        tenant_id: t,
        event_id: e,
        uploaded_by: None,
        guest_id: g,
        uploader_name: "Guest".into(),
        sha256: sha.into(),
        kind: "jpeg".into(),
        original_key: format!("{t}/{e}/{id}/original.jpg"),
        original_bytes: 1000,
        status: PhotoStatus::Published,
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
        created_at: at(2),
        processed_at: None,
        reaction_count: 0,
        on_wall_at: None,
        caption: None,
    }
}

fn draw(t: TenantId, e: EventId, name: &str, created: i64) -> Draw {
    Draw {
        id: DrawId::new(),
        tenant_id: t,
        event_id: e,
        name: name.into(),
        rule: EntryRule::PerGuest { min_photos: 1 },
        exclude_earlier_winners: false,
        mask_names: true,
        closes_at: Some(at(3600)),
        created_by: None,
        created_at: at(created),
        updated_at: at(created),
        lock: None,
        phrase: None,
        phrase_at: None,
        finished_at: None,
    }
}

fn lock(closed: i64) -> DrawLock {
    DrawLock {
        closed_at: at(closed),
        rules_text: "One entry per guest with at least 1 photo.".into(),
        entry_list_hash: "ab".repeat(32),
        commitment: "cd".repeat(32),
        seed: "ef".repeat(32),
    }
}

fn guest_entry(id: &str, g: GuestId, name: &str, weight: u32) -> LockedEntry {
    LockedEntry {
        entry_id: id.into(),
        weight,
        guest_id: Some(g),
        manual_entry_id: None,
        name: name.into(),
    }
}

fn manual_entry(id: &str, m: ManualEntryId, name: &str) -> LockedEntry {
    LockedEntry {
        entry_id: id.into(),
        weight: 1,
        guest_id: None,
        manual_entry_id: Some(m),
        name: name.into(),
    }
}

fn pick(seq: u32, tier: u32, round: u32, entry: &str) -> DrawPick {
    DrawPick {
        seq,
        tier,
        round,
        entry_id: entry.into(),
        created_at: at(5000 + i64::from(seq)),
        outcome: Outcome::Drawn,
        outcome_at: None,
    }
}

/// Raw SQL on the transaction's connection, written with `?` and numbered for PostgreSQL here,
/// binding ids: what an operator (or a bug) could run past the repository.
async fn raw(tx: &mut Tx, sql: &str, ids: &[Uuid]) -> Result<u64, StoreError> {
    match tx.conn() {
        Conn::Sqlite(c) => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.execute(c).await?.rows_affected())
        }
        Conn::Postgres(c) => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(numbered(sql)));
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.execute(c).await?.rows_affected())
        }
    }
}

fn numbered(sql: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs one call that the database is expected to refuse in a transaction of its own, rolled
/// back: on PostgreSQL a refused statement ends its transaction. Commit the work before.
macro_rules! refused {
    ($db:expr, $t:expr, |$tx:ident| $call:expr) => {{
        let mut $tx = $db.begin(Scope::Tenant($t)).await.expect("begin");
        let got = $call.await;
        drop($tx);
        got
    }};
}

/// A draw of the event, closed with two guest entries (Ana, Ben) and one manual entry (Walk-in).
struct Closed {
    draw: Draw,
    ana: GuestId,
    ben: GuestId,
    walk_in: ManualEntryId,
}

async fn closed_draw(db: &Db, t: TenantId, e: EventId) -> Closed {
    let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
    let ana = guest(&mut tx, t, e, "Ana", 2).await;
    let ben = guest(&mut tx, t, e, "Ben", 1).await;
    let cleo = guest(&mut tx, t, e, "Cleo", 1).await;
    let mut d = draw(t, e, "Main draw", 10);
    tx.insert_draw(&d).await.expect("draw");
    let tiers = [DrawTier {
        position: 1,
        name: "Dinner".into(),
        winners: 2,
        photo_id: None,
    }];
    tx.replace_tiers(t, d.id, &tiers).await.expect("tiers");
    let walk = ManualEntry {
        id: ManualEntryId::new(),
        draw_id: d.id,
        name: "Walk-in".into(),
        note: None,
        created_at: at(20),
    };
    tx.insert_manual_entry(t, &walk).await.expect("manual");
    tx.set_excluded(t, d.id, cleo, true).await.expect("exclude");
    let entries = [
        guest_entry("E1", ana, "Ana", 2),
        guest_entry("E2", ben, "Ben", 1),
        manual_entry("E3", walk.id, "Walk-in"),
    ];
    assert!(
        tx.close_draw(t, d.id, &lock(100), &entries)
            .await
            .expect("close")
    );
    tx.commit().await.expect("commit");
    d.lock = Some(lock(100));
    d.updated_at = at(100);
    Closed {
        draw: d,
        ana,
        ben,
        walk_in: walk.id,
    }
}

db_test!(
    async fn an_open_draw_round_trips(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let mut first = draw(t, e, "First", 10);
        let second = draw(t, e, "Second", 20);
        tx.insert_draw(&second).await.expect("insert");
        tx.insert_draw(&first).await.expect("insert");
        tx.commit().await.expect("commit");
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_draw(&first)),
            Err(StoreError::Conflict("draw"))
        ));
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert_eq!(tx.get_draw(t, first.id).await.expect("get"), Some(first.clone()));
        assert_eq!(tx.get_draw(t, DrawId::new()).await.expect("get"), None);
        assert_eq!(
            tx.list_draws(t, e).await.expect("list"),
            vec![first.clone(), second.clone()],
            "oldest first"
        );

        first.name = "First, renamed".into();
        first.rule = EntryRule::PerPhoto { cap: 5 };
        first.exclude_earlier_winners = true;
        first.mask_names = false;
        first.closes_at = None;
        first.updated_at = at(30);
        assert!(tx.update_draw(&first).await.expect("update"));
        assert_eq!(tx.get_draw(t, first.id).await.expect("get"), Some(first.clone()));
        let missing = draw(t, e, "Nobody", 1);
        assert!(!tx.update_draw(&missing).await.expect("update a missing draw"));

        // Tiers, replaced as a whole, read by position.
        let photo = photo(t, e, None, "prize");
        tx.insert_photo(t, &photo).await.expect("photo");
        let tiers = vec![
            DrawTier { position: 2, name: "Flowers".into(), winners: 3, photo_id: None },
            DrawTier { position: 1, name: "Dinner for two".into(), winners: 1, photo_id: Some(photo.id) },
        ];
        tx.replace_tiers(t, first.id, &tiers).await.expect("tiers");
        let mut by_position = tiers.clone();
        by_position.sort_by_key(|t| t.position);
        assert_eq!(tx.list_tiers(t, first.id).await.expect("tiers"), by_position);
        tx.replace_tiers(t, first.id, &tiers[..1]).await.expect("fewer tiers");
        assert_eq!(tx.list_tiers(t, first.id).await.expect("tiers"), tiers[..1].to_vec());
        assert!(matches!(
            tx.replace_tiers(t, DrawId::new(), &tiers).await,
            Err(StoreError::MissingReference)
        ));

        // Manual entries, oldest first.
        let walk_ins: Vec<ManualEntry> = (0..3)
            .map(|i| ManualEntry {
                id: ManualEntryId::new(),
                draw_id: first.id,
                name: format!("Walk-in {i}"),
                note: (i == 1).then(|| "the DJ".to_owned()),
                created_at: at(40 + i),
            })
            .collect();
        for m in walk_ins.iter().rev() {
            tx.insert_manual_entry(t, m).await.expect("manual entry");
        }
        assert_eq!(tx.list_manual_entries(t, first.id).await.expect("list"), walk_ins);
        assert!(tx.delete_manual_entry(t, first.id, walk_ins[1].id).await.expect("delete"));
        assert!(!tx.delete_manual_entry(t, first.id, walk_ins[1].id).await.expect("again"));
        assert_eq!(
            tx.list_manual_entries(t, first.id).await.expect("list"),
            vec![walk_ins[0].clone(), walk_ins[2].clone()]
        );

        // Candidates and exclusions.
        let ana = guest(&mut tx, t, e, "Ana", 3).await;
        let ben = guest(&mut tx, t, e, "Ben_x", 1).await;
        let _cleo = guest(&mut tx, t, e, "Cleo", 0).await;
        let dan = guest(&mut tx, t, e, "Dan 100%", 2).await;
        tx.set_excluded(t, first.id, ben, true).await.expect("exclude");
        tx.set_excluded(t, first.id, ben, true).await.expect("exclude twice is fine");
        assert!(tx.is_excluded(t, first.id, ben).await.expect("is"));
        assert!(!tx.is_excluded(t, first.id, ana).await.expect("is"));
        assert!(!tx.is_excluded(t, second.id, ben).await.expect("per draw"));
        assert_eq!(tx.count_excluded(t, first.id).await.expect("count"), 1);
        assert!(matches!(
            tx.set_excluded(t, first.id, GuestId::new(), true).await,
            Err(StoreError::MissingReference)
        ));
        let all = tx.candidates(t, e, first.id, 1, None, None).await.expect("candidates");
        assert_eq!(
            all,
            vec![
                Candidate { guest_id: ana, name: "Ana".into(), published: 3, excluded: false },
                Candidate { guest_id: ben, name: "Ben_x".into(), published: 1, excluded: true },
                Candidate { guest_id: dan, name: "Dan 100%".into(), published: 2, excluded: false },
            ],
            "by name, with at least one published photo"
        );
        let two = tx.candidates(t, e, first.id, 2, None, None).await.expect("candidates");
        assert_eq!(two.iter().map(|c| c.guest_id).collect::<Vec<_>>(), vec![ana, dan]);
        let limited = tx.candidates(t, e, first.id, 1, None, Some(1)).await.expect("limit");
        assert_eq!(limited.iter().map(|c| c.guest_id).collect::<Vec<_>>(), vec![ana]);
        for (q, want) in [("AN", vec![ana, dan]), ("_", vec![ben]), ("%", vec![dan]), ("n_x", vec![ben]), ("zz", vec![])] {
            let found = tx.candidates(t, e, first.id, 1, Some(q), None).await.expect("search");
            assert_eq!(found.iter().map(|c| c.guest_id).collect::<Vec<_>>(), want, "search {q:?}");
        }
        tx.set_excluded(t, first.id, ben, false).await.expect("let back in");
        assert_eq!(tx.count_excluded(t, first.id).await.expect("count"), 0);

        // An open draw is deleted with its tiers, manual entries and exclusions.
        tx.set_excluded(t, first.id, ben, true).await.expect("exclude");
        assert!(tx.delete_draw(t, first.id).await.expect("delete"));
        assert!(!tx.delete_draw(t, first.id).await.expect("gone"));
        assert_eq!(tx.get_draw(t, first.id).await.expect("get"), None);
        assert!(tx.list_tiers(t, first.id).await.expect("tiers").is_empty());
        assert!(tx.list_manual_entries(t, first.id).await.expect("manual").is_empty());
        assert_eq!(tx.count_excluded(t, first.id).await.expect("count"), 0);
        tx.commit().await.expect("commit");

        // The other organization's transaction refuses the call (and on PostgreSQL sees nothing).
        let (t2, _) = seed(&db, "Other").await;
        let mut tx = db.begin(Scope::Tenant(t2)).await.expect("begin");
        assert!(matches!(tx.get_draw(t, second.id).await, Err(StoreError::ScopeMismatch)));
        assert_eq!(tx.get_draw(t2, second.id).await.expect("get"), None);
    }
);

db_test!(
    async fn closing_runs_the_draw_to_its_end(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let c = closed_draw(&db, t, e).await;
        let d = c.draw.id;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert_eq!(tx.get_draw(t, d).await.expect("get"), Some(c.draw.clone()));
        assert!(
            !tx.close_draw(t, d, &lock(200), &[]).await.expect("close again"),
            "no longer open"
        );
        assert!(!tx.close_draw(t, DrawId::new(), &lock(200), &[]).await.expect("missing"));
        let entries = tx.list_entries(t, d).await.expect("entries");
        assert_eq!(
            entries,
            vec![
                guest_entry("E1", c.ana, "Ana", 2),
                guest_entry("E2", c.ben, "Ben", 1),
                manual_entry("E3", c.walk_in, "Walk-in"),
            ]
        );
        assert_eq!(
            tx.entries_of_guest(t, d, c.ana).await.expect("of guest"),
            vec![guest_entry("E1", c.ana, "Ana", 2)]
        );
        assert!(tx.entries_of_guest(t, d, GuestId::new()).await.expect("none").is_empty());
        assert_eq!(tx.get_entry(t, d, "E3").await.expect("get"), Some(entries[2].clone()));
        assert_eq!(tx.get_entry(t, d, "E9").await.expect("get"), None);

        // The phrase, once, before the first pick.
        assert!(tx.set_phrase(t, d, "blue moon", at(300)).await.expect("phrase"));
        assert!(!tx.set_phrase(t, d, "again", at(301)).await.expect("phrase twice"));
        // A pick, a second win of the same entry, a second pick for the same slot.
        tx.insert_pick(t, d, &pick(1, 1, 1, "E2")).await.expect("pick");
        tx.insert_outcome(t, d, 1, Outcome::NotPresent, at(400)).await.expect("outcome");
        tx.commit().await.expect("commit");
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_pick(t, d, &pick(2, 1, 2, "E2"))),
            Err(StoreError::Conflict("pick"))
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_pick(t, d, &pick(2, 1, 1, "E1"))),
            Err(StoreError::Conflict("pick"))
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_pick(t, d, &pick(1, 1, 2, "E1"))),
            Err(StoreError::Conflict("pick"))
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_pick(t, d, &pick(2, 1, 2, "E404"))),
            Err(StoreError::MissingReference)
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_outcome(t, d, 1, Outcome::Present, at(401))),
            Err(StoreError::Conflict("outcome"))
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_outcome(t, d, 9, Outcome::Present, at(401))),
            Err(StoreError::MissingReference)
        ));
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        tx.insert_pick(t, d, &pick(2, 1, 2, "E1")).await.expect("new round");
        tx.insert_outcome(t, d, 2, Outcome::Present, at(500)).await.expect("outcome");
        tx.insert_pick(t, d, &pick(3, 1, 3, "E3")).await.expect("pick");
        let picks = tx.list_picks(t, d).await.expect("picks");
        assert_eq!(
            picks.iter().map(|p| (p.seq, p.entry_id.as_str(), p.outcome, p.outcome_at)).collect::<Vec<_>>(),
            vec![
                (1, "E2", Outcome::NotPresent, Some(at(400))),
                (2, "E1", Outcome::Present, Some(at(500))),
                (3, "E3", Outcome::Drawn, None),
            ]
        );
        assert_eq!(picks[0], DrawPick { outcome: Outcome::NotPresent, outcome_at: Some(at(400)), ..pick(1, 1, 1, "E2") });
        assert!(!tx.set_phrase(t, d, "late", at(600)).await.expect("after a pick"));

        // A second draw of the event, later: the event's winners come draw by draw.
        let mut later = draw(t, e, "Later", 50);
        later.created_at = at(50);
        tx.insert_draw(&later).await.expect("draw");
        assert!(tx.close_draw(t, later.id, &lock(700), &[guest_entry("L1", c.ana, "Ana", 1)]).await.expect("close"));
        tx.insert_pick(t, later.id, &pick(1, 1, 1, "L1")).await.expect("pick");
        let winners = tx.event_winners(t, e).await.expect("winners");
        assert_eq!(
            winners.iter().map(|w| (w.draw_id, w.seq, w.tier, w.entry_id.as_str(), w.guest_id, w.name.as_str(), w.outcome)).collect::<Vec<_>>(),
            vec![
                (d, 1, 1, "E2", Some(c.ben), "Ben", Outcome::NotPresent),
                (d, 2, 1, "E1", Some(c.ana), "Ana", Outcome::Present),
                (d, 3, 1, "E3", None, "Walk-in", Outcome::Drawn),
                (later.id, 1, 1, "L1", Some(c.ana), "Ana", Outcome::Drawn),
            ]
        );

        // Finished: once; then no more picks or outcomes.
        assert!(tx.finish_draw(t, d, at(800)).await.expect("finish"));
        assert!(!tx.finish_draw(t, d, at(801)).await.expect("finish twice"));
        assert!(!tx.finish_draw(t, DrawId::new(), at(801)).await.expect("missing"));
        let open = draw(t, e, "Open", 60);
        tx.insert_draw(&open).await.expect("draw");
        assert!(!tx.finish_draw(t, open.id, at(801)).await.expect("not closed"));
        tx.commit().await.expect("commit");
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_pick(t, d, &pick(4, 1, 4, "E2"))),
            Err(StoreError::Locked)
        ));
        assert!(matches!(
            refused!(db, t, |tx| tx.insert_outcome(t, d, 3, Outcome::Present, at(900))),
            Err(StoreError::Locked)
        ));
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let got = tx.get_draw(t, d).await.expect("get").expect("there");
        assert_eq!(got.phrase.as_deref(), Some("blue moon"));
        assert_eq!(got.phrase_at, Some(at(300)));
        assert_eq!(got.finished_at, Some(at(800)));
        assert_eq!(got.lock, Some(lock(100)));
        tx.commit().await.expect("commit");
    }
);

db_test!(
    async fn picks_wait_for_the_close(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let d = draw(t, e, "Open", 10);
        tx.insert_draw(&d).await.expect("draw");
        assert!(!tx.set_phrase(t, d.id, "too early", at(20)).await.expect("phrase"));
        let g = guest(&mut tx, t, e, "Ana", 1).await;
        // An entry written into an open draw (as closing does, first) cannot be picked yet.
        raw(
            &mut tx,
            "INSERT INTO draw_entries (tenant_id, draw_id, entry_id, weight, guest_id, name) \
             VALUES (?, ?, 'E1', 1, ?, 'Ana')",
            &[t.as_uuid(), d.id.as_uuid(), g.as_uuid()],
        )
        .await
        .expect("an entry while open");
        assert!(matches!(
            tx.insert_pick(t, d.id, &pick(1, 1, 1, "E1")).await,
            Err(StoreError::Locked)
        ));
    }
);

db_test!(
    async fn a_closed_draw_is_locked(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let c = closed_draw(&db, t, e).await;
        let d = c.draw.id;
        let (tu, du) = (t.as_uuid(), d.as_uuid());
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");

        // Through the repository.
        let mut changed = c.draw.clone();
        changed.name = "Renamed".into();
        assert!(matches!(tx.update_draw(&changed).await, Err(StoreError::Locked)));
        assert!(matches!(tx.delete_draw(t, d).await, Err(StoreError::Locked)));
        assert!(matches!(tx.replace_tiers(t, d, &[]).await, Err(StoreError::Locked)));
        let walk = ManualEntry {
            id: ManualEntryId::new(),
            draw_id: d,
            name: "Late".into(),
            note: None,
            created_at: at(200),
        };
        assert!(matches!(tx.insert_manual_entry(t, &walk).await, Err(StoreError::Locked)));
        assert!(matches!(
            tx.delete_manual_entry(t, d, c.walk_in).await,
            Err(StoreError::Locked)
        ));
        assert!(matches!(tx.set_excluded(t, d, c.ana, true).await, Err(StoreError::Locked)));

        // Past the repository, the database refuses each on its own. Each statement in a
        // transaction of its own: on PostgreSQL an error ends the transaction.
        drop(tx);
        let refused = [
            "UPDATE draws SET name = 'Renamed' WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET closed_at = NULL, rules_text = NULL, entry_list_hash = NULL, \
             commitment = NULL, seed = NULL WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET seed = 'other' WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET rule_n = 2 WHERE tenant_id = ? AND id = ?",
            "DELETE FROM draws WHERE tenant_id = ? AND id = ?",
            "UPDATE draw_tiers SET winners = 5 WHERE tenant_id = ? AND draw_id = ?",
            "DELETE FROM draw_tiers WHERE tenant_id = ? AND draw_id = ?",
            "INSERT INTO draw_tiers (tenant_id, draw_id, position, name, winners) \
             VALUES (?, ?, 2, 'More', 1)",
            "UPDATE draw_manual_entries SET name = 'x' WHERE tenant_id = ? AND draw_id = ?",
            "DELETE FROM draw_manual_entries WHERE tenant_id = ? AND draw_id = ?",
            "DELETE FROM draw_exclusions WHERE tenant_id = ? AND draw_id = ?",
            "INSERT INTO draw_entries (tenant_id, draw_id, entry_id, weight, guest_id, name) \
             SELECT tenant_id, draw_id, 'E9', 1, guest_id, 'Again' FROM draw_exclusions \
             WHERE tenant_id = ? AND draw_id = ?",
        ];
        for sql in refused {
            let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
            let got = raw(&mut tx, sql, &[tu, du]).await;
            assert!(matches!(got, Err(StoreError::Locked)), "{sql}: {got:?}");
        }
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let got = raw(
            &mut tx,
            "INSERT INTO draw_manual_entries (tenant_id, id, draw_id, name, created_at) \
             SELECT tenant_id, ?, id, 'Late', created_at FROM draws WHERE tenant_id = ? AND id = ?",
            &[Uuid::now_v7(), tu, du],
        )
        .await;
        assert!(matches!(got, Err(StoreError::Locked)), "{got:?}");
        drop(tx);

        // What may still change: the phrase and the finish, once each, and updated_at.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        raw(&mut tx, "UPDATE draws SET updated_at = closed_at WHERE tenant_id = ? AND id = ?", &[tu, du])
            .await
            .expect("updated_at may change");
        assert!(tx.set_phrase(t, d, "blue moon", at(300)).await.expect("phrase"));
        assert!(tx.finish_draw(t, d, at(400)).await.expect("finish"));
        tx.commit().await.expect("commit");
        for sql in [
            "UPDATE draws SET phrase = 'other' WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET phrase = NULL, phrase_at = NULL WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET finished_at = NULL WHERE tenant_id = ? AND id = ?",
            "UPDATE draws SET finished_at = closed_at WHERE tenant_id = ? AND id = ?",
        ] {
            let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
            let got = raw(&mut tx, sql, &[tu, du]).await;
            assert!(matches!(got, Err(StoreError::Locked)), "{sql}: {got:?}");
        }
    }
);

/// Entries, picks and outcomes refuse UPDATE and DELETE, whoever asks.
async fn assert_append_only(tdb: &TestDatabase, db: &Db, t: TenantId, d: DrawId) {
    let statements = [
        "UPDATE draw_entries SET weight = 5 WHERE tenant_id = ? AND draw_id = ?",
        "UPDATE draw_entries SET name = 'Someone else' WHERE tenant_id = ? AND draw_id = ?",
        "DELETE FROM draw_entries WHERE tenant_id = ? AND draw_id = ?",
        "UPDATE draw_picks SET entry_id = 'E1' WHERE tenant_id = ? AND draw_id = ?",
        "DELETE FROM draw_picks WHERE tenant_id = ? AND draw_id = ?",
        "UPDATE draw_outcomes SET outcome = 'present' WHERE tenant_id = ? AND draw_id = ?",
        "DELETE FROM draw_outcomes WHERE tenant_id = ? AND draw_id = ?",
    ];
    for sql in statements {
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let got = raw(&mut tx, sql, &[t.as_uuid(), d.as_uuid()]).await;
        assert!(matches!(got, Err(StoreError::Locked)), "{sql}: {got:?}");
    }
    // On PostgreSQL also as the migration owner (a superuser here: no RLS at all).
    if let Some(admin) = &tdb.admin_url {
        let owner = sqlx::PgPool::connect(admin).await.expect("owner");
        for sql in statements {
            let got = sqlx::query(sqlx::AssertSqlSafe(numbered(sql)))
                .bind(t.as_uuid())
                .bind(d.as_uuid())
                .execute(&owner)
                .await
                .map_err(StoreError::from);
            assert!(
                matches!(got, Err(StoreError::Locked)),
                "owner: {sql}: {got:?}"
            );
        }
        let got = sqlx::query("DELETE FROM draws WHERE tenant_id = $1 AND id = $2")
            .bind(t.as_uuid())
            .bind(d.as_uuid())
            .execute(&owner)
            .await
            .map_err(StoreError::from);
        assert!(matches!(got, Err(StoreError::Locked)), "owner: {got:?}");
        owner.close().await;
    }
}

db_test!(
    async fn entries_picks_and_outcomes_are_append_only(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let c = closed_draw(&db, t, e).await;
        let d = c.draw.id;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        tx.insert_pick(t, d, &pick(1, 1, 1, "E2")).await.expect("pick");
        tx.insert_outcome(t, d, 1, Outcome::NotPresent, at(400)).await.expect("outcome");
        tx.commit().await.expect("commit");
        assert_append_only(&tdb, &db, t, d).await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert!(tx.finish_draw(t, d, at(500)).await.expect("finish"));
        tx.commit().await.expect("commit");
        assert_append_only(&tdb, &db, t, d).await;
        let mut tx = db.begin_read(Scope::Tenant(t)).await.expect("begin");
        assert_eq!(tx.list_entries(t, d).await.expect("entries").len(), 3);
        assert_eq!(tx.list_picks(t, d).await.expect("picks").len(), 1);
    }
);

db_test!(
    async fn deleting_guests_photos_events_and_organizations_with_finished_draws_works(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let c = closed_draw(&db, t, e).await;
        let d = c.draw.id;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        // A prize photo on a second, open draw's tier; the draw then closes.
        let prize = photo(t, e, None, "prize");
        tx.insert_photo(t, &prize).await.expect("photo");
        let second = draw(t, e, "Second", 30);
        tx.insert_draw(&second).await.expect("draw");
        let tier = DrawTier { position: 1, name: "Cake".into(), winners: 1, photo_id: Some(prize.id) };
        tx.replace_tiers(t, second.id, std::slice::from_ref(&tier)).await.expect("tiers");
        assert!(tx.close_draw(t, second.id, &lock(150), &[guest_entry("S1", c.ben, "Ben", 1)]).await.expect("close"));
        tx.insert_pick(t, d, &pick(1, 1, 1, "E1")).await.expect("pick");
        tx.insert_outcome(t, d, 1, Outcome::Present, at(400)).await.expect("outcome");
        tx.insert_pick(t, d, &pick(2, 1, 2, "E2")).await.expect("pick");
        assert!(tx.finish_draw(t, d, at(500)).await.expect("finish"));
        tx.commit().await.expect("commit");

        // A deleted prize photo leaves the closed draw's tier without its picture.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        assert!(tx.delete_photo(t, prize.id).await.expect("delete photo"));
        assert_eq!(
            tx.list_tiers(t, second.id).await.expect("tiers"),
            vec![DrawTier { photo_id: None, ..tier }]
        );
        // A deleted guest leaves the locked list as it was (and their exclusion goes).
        let cleo: Vec<Uuid> = {
            let all = tx.candidates(t, e, d, 1, Some("Cleo"), None).await.expect("candidates");
            assert!(all[0].excluded);
            all.iter().map(|c| c.guest_id.as_uuid()).collect()
        };
        for g in [cleo[0], c.ana.as_uuid()] {
            let n = raw(&mut tx, "DELETE FROM guests WHERE tenant_id = ? AND id = ?", &[t.as_uuid(), g])
                .await
                .expect("delete a guest");
            assert_eq!(n, 1);
        }
        assert_eq!(tx.count_excluded(t, d).await.expect("count"), 0);
        assert_eq!(
            tx.entries_of_guest(t, d, c.ana).await.expect("entries"),
            vec![guest_entry("E1", c.ana, "Ana", 2)]
        );
        tx.commit().await.expect("commit");

        // The event goes with its draws, the way the app removes an event: one DELETE.
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let n = raw(&mut tx, "DELETE FROM events WHERE tenant_id = ? AND id = ?", &[t.as_uuid(), e.as_uuid()])
            .await
            .expect("delete the event");
        assert_eq!(n, 1);
        assert_eq!(tx.get_draw(t, d).await.expect("get"), None);
        assert!(tx.list_entries(t, d).await.expect("entries").is_empty());
        assert!(tx.list_picks(t, d).await.expect("picks").is_empty());
        assert!(tx.list_tiers(t, second.id).await.expect("tiers").is_empty());
        tx.commit().await.expect("commit");
        assert_eq!(count_draw_rows(&tdb, &db).await, 0, "nothing left behind");

        // An organization goes with its events and their draws (cascades in every order).
        let (t2, e2) = seed(&db, "Ben's Parties").await;
        let c2 = closed_draw(&db, t2, e2).await;
        let mut tx = db.begin(Scope::Tenant(t2)).await.expect("begin");
        tx.insert_pick(t2, c2.draw.id, &pick(1, 1, 1, "E3")).await.expect("pick");
        tx.insert_outcome(t2, c2.draw.id, 1, Outcome::Present, at(400)).await.expect("outcome");
        assert!(tx.finish_draw(t2, c2.draw.id, at(500)).await.expect("finish"));
        tx.commit().await.expect("commit");
        let mut tx = db.begin(Scope::Tenant(t2)).await.expect("begin");
        let n = raw(&mut tx, "DELETE FROM tenants WHERE id = ?", &[t2.as_uuid()])
            .await
            .expect("delete the organization");
        assert_eq!(n, 1);
        tx.commit().await.expect("commit");
        assert_eq!(count_draw_rows(&tdb, &db).await, 0, "nothing left behind");
    }
);

/// Rows in all the draw tables, every tenant (on PostgreSQL as the owner, past RLS).
async fn count_draw_rows(tdb: &TestDatabase, db: &Db) -> i64 {
    let sql = "SELECT (SELECT count(*) FROM draws) + (SELECT count(*) FROM draw_tiers) \
               + (SELECT count(*) FROM draw_manual_entries) + (SELECT count(*) FROM draw_exclusions) \
               + (SELECT count(*) FROM draw_entries) + (SELECT count(*) FROM draw_picks) \
               + (SELECT count(*) FROM draw_outcomes)";
    match (db, &tdb.admin_url) {
        (Db::Sqlite { pool, .. }, _) => sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await
            .expect("count"),
        (Db::Postgres(_), Some(admin)) => {
            let owner = sqlx::PgPool::connect(admin).await.expect("owner");
            let n = sqlx::query_scalar(sql)
                .fetch_one(&owner)
                .await
                .expect("count");
            owner.close().await;
            n
        }
        (Db::Postgres(_), None) => unreachable!("PostgreSQL tests have an owner URL"),
    }
}

// Closing with many entries: one multi-row INSERT per chunk, the list read back whole.
db_test!(
    async fn closing_stores_a_large_entry_list(tdb) {
        let db = open(&tdb).await;
        let (t, e) = seed(&db, "Ada's Weddings").await;
        let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
        let d = draw(t, e, "Big", 10);
        tx.insert_draw(&d).await.expect("draw");
        let entries: Vec<LockedEntry> = (0..5_000)
            .map(|i| manual_entry(&format!("M{i:05}"), ManualEntryId::new(), &format!("Guest {i}")))
            .collect();
        let started = std::time::Instant::now();
        assert!(tx.close_draw(t, d.id, &lock(100), &entries).await.expect("close"));
        tx.commit().await.expect("commit");
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(10), "closing took {took:?}");
        let mut tx = db.begin_read(Scope::Tenant(t)).await.expect("begin");
        assert_eq!(tx.list_entries(t, d.id).await.expect("entries"), entries);
    }
);

/// Row-level security on every draw table: another tenant's transaction sees none of the rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rls_hides_another_tenants_draws() {
    let tdb = TestDatabase::new(TestBackend::Postgres).await;
    let db = open(&tdb).await;
    let (a, ea) = seed(&db, "A").await;
    let (b, _) = seed(&db, "B").await;
    let c = closed_draw(&db, a, ea).await;
    let mut tx = db.begin(Scope::Tenant(a)).await.expect("begin");
    tx.insert_pick(a, c.draw.id, &pick(1, 1, 1, "E1"))
        .await
        .expect("pick");
    tx.insert_outcome(a, c.draw.id, 1, Outcome::Present, at(400))
        .await
        .expect("outcome");
    tx.commit().await.expect("commit");
    let Db::Postgres(pool) = &db else {
        unreachable!()
    };
    let tables = [
        "draws",
        "draw_tiers",
        "draw_manual_entries",
        "draw_exclusions",
        "draw_entries",
        "draw_picks",
        "draw_outcomes",
    ];
    async fn counts(pool: &sqlx::PgPool, tenant: Option<TenantId>, tables: &[&str]) -> Vec<i64> {
        let mut tx = pool.begin().await.expect("begin");
        if let Some(t) = tenant {
            sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
                .bind(t.to_string())
                .execute(&mut *tx)
                .await
                .expect("tenant");
        }
        let mut out = Vec::new();
        for table in tables {
            let sql = format!("SELECT count(*) FROM {table}");
            out.push(
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut *tx)
                    .await
                    .expect("count"),
            );
        }
        out
    }
    assert_eq!(
        counts(pool, Some(a), &tables).await,
        vec![1, 1, 1, 1, 3, 1, 1]
    );
    assert_eq!(counts(pool, Some(b), &tables).await, vec![0; 7]);
    assert_eq!(counts(pool, None, &tables).await, vec![0; 7]);
    // Through the repository too: B's transaction finds nothing of A's draw under B's id.
    let mut tx = db.begin(Scope::Tenant(b)).await.expect("begin");
    assert_eq!(tx.get_draw(b, c.draw.id).await.expect("get"), None);
    assert!(
        tx.list_entries(b, c.draw.id)
            .await
            .expect("entries")
            .is_empty()
    );
    // And B cannot write into A's draw.
    let got = raw(
        &mut tx,
        "INSERT INTO draw_picks (tenant_id, draw_id, seq, tier, round, entry_id, created_at) \
         VALUES (?, ?, 2, 1, 2, 'E2', now())",
        &[a.as_uuid(), c.draw.id.as_uuid()],
    )
    .await;
    assert!(got.is_err(), "{got:?}");
}

/// A setup change that races a close waits for it and then finds the draw locked (PostgreSQL;
/// SQLite has one writer at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_setup_change_racing_the_close_waits_and_is_refused() {
    let tdb = TestDatabase::new(TestBackend::Postgres).await;
    let db = open(&tdb).await;
    let (t, e) = seed(&db, "A").await;
    let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
    let d = draw(t, e, "Main", 10);
    tx.insert_draw(&d).await.expect("draw");
    tx.commit().await.expect("commit");

    let mut closing = db.begin(Scope::Tenant(t)).await.expect("begin");
    assert!(
        closing
            .close_draw(t, d.id, &lock(100), &[])
            .await
            .expect("close")
    );
    let racer = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin(Scope::Tenant(t)).await.expect("begin");
            let walk = ManualEntry {
                id: ManualEntryId::new(),
                draw_id: d.id,
                name: "Late".into(),
                note: None,
                created_at: at(200),
            };
            tx.insert_manual_entry(t, &walk).await
        })
    };
    // Until the server shows the racer waiting on a lock (polled, for at most 10 s).
    let owner = sqlx::PgPool::connect(tdb.admin_url.as_deref().expect("owner URL"))
        .await
        .expect("owner");
    let mut waiting = false;
    for _ in 0..200 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&owner)
        .await
        .expect("activity");
        if n > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    owner.close().await;
    assert!(
        waiting && !racer.is_finished(),
        "the racer waits for the close"
    );
    closing.commit().await.expect("commit");
    let got = racer.await.expect("racer");
    assert!(matches!(got, Err(StoreError::Locked)), "{got:?}");
}
