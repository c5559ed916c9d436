//! People and rights on a team database: every person logs in as their own PostgreSQL login in
//! one group role of the database, and PostgreSQL itself refuses what the role may not do —
//! whatever a window hides. Each test works on a database of its own on the throw-away server.

#[path = "support/pg.rs"]
mod pg;

use skvoz::domain::{
    AnalyticsSource, Comment, Contact, DailyFact, ExchangeEntry, HistoryEntry, HistoryFilter, HistoryObject, Lead,
    LeadEdit, LeadValue, Level, Outcome, Plan, Secret, Status,
};
use skvoz::store::{Database, Store, StoreEvent, TeamRole};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio_postgres::error::SqlState;

const PASSWORD: &str = "Secret-pass-1";

/// A migrated team database, opened by its owner (the harness's login), with what the people
/// will read: the service fields and statuses, a lead, a fact, an exchange-log entry, a source.
async fn team() -> Option<(Store, tokio_postgres::Config, String)> {
    let config = pg::fresh_database().await?;
    let db = config.get_dbname().unwrap().to_string();
    let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
    owner.ensure_schema().await.unwrap();
    owner.add_lead(Lead { title: "Первая".into(), ..Lead::default() }).await.unwrap();
    owner.replace_facts(1, day(), day(), vec![fact()]).await.unwrap();
    owner.log_exchanges(vec![entry()]).await.unwrap();
    owner.put(AnalyticsSource { name: "Roistat".into(), ..AnalyticsSource::default() }).await.unwrap();
    Some((owner, config, db))
}

fn day() -> jiff::civil::Date {
    jiff::civil::date(2026, 11, 2)
}

fn fact() -> DailyFact {
    let level = |v: &str| Level::new(v, v);
    DailyFact {
        visits: 10,
        ..DailyFact::new(day(), skvoz::domain::MarkerPath::new(level("a"), level("b"), level("c")))
    }
}

fn entry() -> ExchangeEntry {
    ExchangeEntry {
        id: 0,
        at: jiff::Timestamp::now(),
        remote: "127.0.0.1".into(),
        action: "lead".into(),
        outcome: Outcome::Ok,
        http_status: 200,
        duration_micros: 1,
        error: String::new(),
        params: vec![],
        answer: String::new(),
        request_bytes: 0,
    }
}

/// A login for this test's database (logins are global to the server).
fn login(db: &str, who: &str) -> String {
    format!("{db}_{who}")
}

fn as_login(config: &tokio_postgres::Config, login: &str, password: &str) -> tokio_postgres::Config {
    let mut config = config.clone();
    config.user(login).password(password);
    config
}

async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Runs a statement in a transaction that is rolled back: what PostgreSQL said of it.
async fn attempt(client: &mut tokio_postgres::Client, sql: &str) -> Result<(), SqlState> {
    let tx = client.transaction().await.unwrap();
    let outcome = tx.batch_execute(sql).await.map_err(|e| e.code().cloned().unwrap_or(SqlState::INTERNAL_ERROR));
    let _ = tx.rollback().await;
    outcome
}

async fn assert_rights(client: &mut tokio_postgres::Client, who: &str, refused: &[&str], allowed: &[&str]) {
    for sql in refused {
        assert_eq!(attempt(client, sql).await, Err(SqlState::INSUFFICIENT_PRIVILEGE), "{who} must not: {sql}");
    }
    for sql in allowed {
        assert_eq!(attempt(client, sql).await, Ok(()), "{who} may: {sql}");
    }
}

const INSERT_HISTORY: &str = "INSERT INTO history (at, kind, object_id, record) VALUES (now(), 'lead', 1, '{}')";

const INSERT_PLAN: &str = "INSERT INTO plans (month, channel, record) VALUES ('2026-12', 'direct', '{}')";

const INSERT_FACT: &str = "INSERT INTO facts VALUES (1, '2026-11-03', 'a', 'a', 'b', 'b', 'c', 'c', 1, 0, 0, 0, 0, 0)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_refuses_what_each_role_may_not_do_over_a_raw_connection() {
    let Some((owner, config, db)) = team().await else { return };
    let mut clients = Vec::new();
    for role in TeamRole::ALL {
        let who = login(&db, role.key());
        owner.add_person(&who, role, "", &Secret::new(PASSWORD)).await.unwrap();
        clients.push(connect(&as_login(&config, &who, PASSWORD)).await.expect("a person logs in"));
    }
    let [marketer, manager, admin, service] = &mut clients[..] else { unreachable!() };

    assert_rights(
        marketer,
        "a marketer",
        &[
            "UPDATE leads SET version = version + 1",
            "INSERT INTO clients (id, record) VALUES (999, '{}')",
            "UPDATE calls SET record = record",
            "SELECT record FROM settings",
            "SELECT record FROM analytics_sources",
            "SELECT record FROM lead_sources",
            "SELECT record FROM exchange_log",
            "INSERT INTO statuses (id, record) VALUES (999, '{}')",
            INSERT_FACT,
            "DELETE FROM facts",
            "DELETE FROM fact_month_sums",
            "INSERT INTO fact_loads VALUES (7)",
            "UPDATE users SET record = record",
            "SELECT skvoz_add_person('intruder', 'admin', 'SCRAM-SHA-256$x')",
            "CREATE TABLE mine (id integer)",
            "UPDATE history SET record = record",
        ],
        &[
            // Marketers set the monthly plans, recording the change for the feed and the history.
            INSERT_PLAN,
            "DELETE FROM plans",
            INSERT_HISTORY,
            "DELETE FROM change_log",
            "SELECT record FROM leads",
            "SELECT record FROM history",
            "SELECT visits FROM facts",
            "SELECT visits FROM fact_month_sums",
            "SELECT visits FROM fact_channel_days",
            "SELECT record FROM clients",
            "SELECT record FROM calls",
            "SELECT record FROM statuses",
            "SELECT record FROM extra_fields",
            "SELECT record FROM users",
            "SELECT seq FROM change_log",
            "LISTEN skvoz",
        ],
    )
    .await;

    assert_rights(
        manager,
        "a manager",
        &[
            "UPDATE settings SET record = record",
            "INSERT INTO users (id, record) VALUES (999, '{}')",
            "INSERT INTO statuses (id, record) VALUES (999, '{}')",
            "UPDATE extra_fields SET record = record",
            "UPDATE analytics_sources SET record = record",
            "DELETE FROM leads",
            INSERT_FACT,
            "DELETE FROM exchange_log",
            "SELECT skvoz_set_person_role('intruder', 'admin')",
            "UPDATE history SET record = record",
            "DELETE FROM history",
            INSERT_PLAN,
        ],
        &[
            "SELECT record FROM plans",
            "UPDATE leads SET version = version + 1",
            INSERT_HISTORY,
            "INSERT INTO clients (id, record) VALUES (999, '{}')",
            "UPDATE calls SET record = record",
            "SELECT record FROM settings",
            "SELECT record FROM exchange_log",
            "SELECT record FROM analytics_sources",
        ],
    )
    .await;

    assert_rights(
        admin,
        "an admin",
        &[
            "DELETE FROM leads",
            "DELETE FROM clients",
            "TRUNCATE leads",
            "DROP TABLE leads",
            "ALTER TABLE leads ADD COLUMN x integer",
            INSERT_FACT,
            "DELETE FROM fact_channel_days",
            "CREATE ROLE intruder",
        ],
        &[
            "UPDATE leads SET version = version + 1",
            "UPDATE settings SET record = record",
            "INSERT INTO statuses (id, record) VALUES (999, '{}')",
            "DELETE FROM lead_sources",
            "UPDATE users SET record = record",
            "DELETE FROM exchange_log",
            INSERT_PLAN,
        ],
    )
    .await;

    assert_rights(
        service,
        "the service",
        &[
            "DELETE FROM leads",
            "UPDATE settings SET record = record",
            "INSERT INTO users (id, record) VALUES (999, '{}')",
            "DELETE FROM statuses",
            "UPDATE statuses SET record = record",
            "INSERT INTO lead_sources (id, record) VALUES (999, '{}')",
            "DELETE FROM analytics_sources",
            "SELECT skvoz_add_person('intruder', 'admin', 'SCRAM-SHA-256$x')",
            INSERT_PLAN,
        ],
        &[
            INSERT_FACT,
            "DELETE FROM facts",
            "DELETE FROM fact_month_sums",
            "DELETE FROM fact_channel_days",
            "INSERT INTO fact_loads VALUES (7) ON CONFLICT (analytics_source_id) DO UPDATE SET analytics_source_id = 7",
            "UPDATE leads SET version = version + 1",
            "INSERT INTO exchange_log (id, bytes, bytes_before, record) VALUES (999, 1, 0, '{}')",
            "SELECT record FROM settings",
            "UPDATE analytics_sources SET record = record",
        ],
    )
    .await;
}

fn new_status() -> Status {
    Status { id: 0, name: "Новый".into(), group: skvoz::domain::StatusGroup::InWork, order: 99 }
}

/// The store opened as a person of the database.
async fn open_as(config: &tokio_postgres::Config, login: &str) -> Store {
    Store::open_postgres(&Database::from_config(as_login(config, login, PASSWORD)))
        .await
        .expect("a person opens the store")
}

fn refused<T: std::fmt::Debug>(outcome: skvoz::store::Result<T>, what: &str) {
    let e = outcome.expect_err(what);
    assert!(e.to_string().contains("Недостаточно прав"), "{what}: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_as_each_person_does_what_the_role_may_and_the_feed_reaches_everyone() {
    let Some((owner, config, db)) = team().await else { return };
    let (marketer, manager, admin, service) =
        (login(&db, "marketer"), login(&db, "manager"), login(&db, "admin"), login(&db, "service"));
    // The owner adds the first admin; the admin adds the others.
    owner.add_person(&admin, TeamRole::Admin, "Администратор Анна", &Secret::new(PASSWORD)).await.unwrap();
    let as_admin = open_as(&config, &admin).await;
    as_admin.add_person(&marketer, TeamRole::Marketer, "Смирнова Мария", &Secret::new(PASSWORD)).await.unwrap();
    as_admin.add_person(&manager, TeamRole::Manager, "Петров Сергей", &Secret::new(PASSWORD)).await.unwrap();
    as_admin.add_person(&service, TeamRole::Service, "", &Secret::new(PASSWORD)).await.unwrap();

    // Who am I: login, full name and the role of the group.
    let as_marketer = open_as(&config, &marketer).await;
    let me = as_marketer.me().await.unwrap().expect("a team database knows who signed in");
    assert_eq!(
        (me.login.as_str(), me.name.as_str(), me.role, me.owner),
        (marketer.as_str(), "Смирнова Мария", TeamRole::Marketer, false)
    );
    let owner_me = owner.me().await.unwrap().unwrap();
    assert_eq!((owner_me.role, owner_me.owner), (TeamRole::Admin, true));
    // The person's record is the user a lead's responsible names.
    let users = as_marketer.list::<skvoz::domain::User>().await.unwrap();
    let petrov = users.iter().find(|u| u.login == manager).expect("the manager's record");
    assert_eq!((petrov.name.as_str(), petrov.role), ("Петров Сергей", skvoz::domain::Role::Manager));
    assert_eq!(Some(petrov.id), as_admin.people().await.unwrap().iter().find(|p| p.login == manager).unwrap().user_id);

    // A marketer reads and writes nothing.
    assert_eq!(as_marketer.lead_count().await.unwrap(), 1);
    assert_eq!(as_marketer.facts_between(day(), day()).await.unwrap().len(), 1);
    let periods = skvoz::report::Periods { from: day(), to: day(), previous_from: day(), previous_to: day() };
    let sums = as_marketer.report_sums(periods).await.unwrap();
    assert_eq!((sums.paths.len(), sums.days.len(), sums.paths[0].current.visits), (1, 1, 10));
    assert!(!as_marketer.statuses().await.unwrap().is_empty());
    refused(as_marketer.add_lead(Lead::default()).await, "a marketer adds a lead");
    refused(as_marketer.service_settings().await, "a marketer reads the service settings");
    // … but the monthly plans, which a manager only reads.
    let plan = Plan { leads: 40, ..Plan::new("2026-12".parse().unwrap(), "direct") };
    as_marketer.put_plan(plan.clone()).await.expect("a marketer sets a plan");
    let plan_history = as_marketer.history(HistoryFilter { kind: Some("plan".into()), ..HistoryFilter::default() });
    assert_eq!(plan_history.await.unwrap()[0].author, marketer);
    // What the views are computed from is hers to read, and the funnel counts the lead.
    let book = skvoz::app::views::lead_book(&as_marketer, jiff::Timestamp::now()).await.expect("a marketer's views");
    assert_eq!((book.leads.len(), book.plans.len(), book.spend.len()), (1, 1, 1));
    let mut marketer_feed = as_marketer.subscribe();

    // A manager works on leads and reads the settings, but changes neither them nor people.
    let as_manager = open_as(&config, &manager).await;
    let lead = as_manager.add_lead(Lead { title: "От менеджера".into(), ..Lead::default() }).await.unwrap();
    as_manager
        .change_lead(
            lead.id,
            Some(lead.version),
            vec![LeadEdit::set(&lead, LeadValue::Title("Исправлено".into()))],
            &manager,
        )
        .await
        .unwrap();
    assert!(!as_manager.service_settings().await.unwrap().password.is_empty());
    refused(
        as_manager.put_service_settings(as_manager.service_settings().await.unwrap()).await,
        "a manager edits settings",
    );
    refused(as_manager.put(new_status()).await, "a manager adds a status");
    assert_eq!(as_manager.plans(None).await.unwrap(), std::slice::from_ref(&plan));
    refused(as_manager.put_plan(Plan { leads: 1, ..plan.clone() }).await, "a manager changes a plan");
    let e = as_manager.add_person(&login(&db, "x"), TeamRole::Admin, "", &Secret::new(PASSWORD)).await.unwrap_err();
    assert!(e.to_string().contains("только администратор"), "{e}");

    // The marketer's window hears of the manager's lead.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event =
            tokio::time::timeout_at(deadline, marketer_feed.next()).await.expect("the change reaches a marketer");
        if event == Some(StoreEvent::LeadsChanged(vec![lead.id])) {
            break;
        }
    }

    // An admin edits the reference data and the settings.
    let added_status = as_admin.put(new_status()).await.unwrap();
    as_admin.put_service_settings(as_admin.service_settings().await.unwrap()).await.unwrap();
    refused(as_admin.replace_facts(1, day(), day(), vec![fact()]).await, "an admin writes facts");

    // The service takes leads in, appends to them, loads figures and logs the exchange.
    let as_service = open_as(&config, &service).await;
    assert_eq!(as_service.ensure_schema().await.unwrap(), 0, "nothing to create, nothing written");
    let intake = as_service
        .intake_lead(
            Lead { roistat_lead_id: Some("R-1".into()), ..Lead::default() },
            Contact { phone: "+7 900 000-00-01".into(), ..Contact::default() },
        )
        .await
        .unwrap();
    let comment =
        Comment {
            at: jiff::Timestamp::now(), title: "Roistat".into(), text: "Перезвонить".into(), from_roistat: true
        };
    as_service.append_comment(intake.lead.id, comment, "Roistat").await.unwrap();
    assert_eq!(as_service.replace_facts(1, day(), day(), vec![fact(), fact()]).await.unwrap(), 2);
    as_service.log_exchanges(vec![entry()]).await.unwrap();
    let mut source = as_service.list::<AnalyticsSource>().await.unwrap().remove(0);
    source.last_error = Some("нет связи".into());
    as_service.put(source).await.expect("the load writes its state on the source");
    let status = as_service.statuses().await.unwrap().remove(0);
    refused(as_service.put(Status { name: "Чужой".into(), ..status.clone() }).await, "the service renames a status");
    refused(as_service.delete::<Status>(status.id).await, "the service deletes a status");
    refused(
        as_service.put_service_settings(as_service.service_settings().await.unwrap()).await,
        "the service edits settings",
    );
    assert_eq!(owner.lead(intake.lead.id).await.unwrap().unwrap().comments.len(), 1);

    // The history names each person by their login and Roistat as Roistat; a marketer reads it.
    let authors = |entries: Vec<HistoryEntry>| entries.into_iter().map(|e| e.author).collect::<Vec<_>>();
    let of = |object| HistoryFilter { object: Some(object), ..HistoryFilter::default() };
    let lead_of = |lead: &Lead| HistoryObject::Lead { id: lead.id, number: lead.number };
    assert_eq!(authors(as_marketer.history(of(lead_of(&lead))).await.unwrap()), [manager.as_str(), manager.as_str()]);
    assert_eq!(authors(as_marketer.history(of(lead_of(&intake.lead))).await.unwrap()), ["Roistat", "Roistat"]);
    assert_eq!(
        authors(as_marketer.history(of(HistoryObject::Status(added_status.id))).await.unwrap()),
        [admin.as_str()]
    );
    let settings = as_admin.history(of(HistoryObject::Settings("settings/service".into()))).await.unwrap();
    assert_eq!(authors(settings), Vec::<String>::new(), "settings saved unchanged leave no entry");
}

/// `skvoz --database-url URL users …` with `stdin`: its exit, standard output and error.
fn skvoz(url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env_remove("PGPASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string());
    for secret in [PASSWORD, "Another-pass-2"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "a password was shown: {stdout}{stderr}");
    }
    (out.status.success(), stdout, stderr)
}

fn login_refused(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_command_adds_people_changes_their_role_and_password_and_disables_them() {
    let Some(config) = pg::fresh_database().await else { return };
    let url = pg::url(&config);
    let db = config.get_dbname().unwrap().to_string();
    let anna = login(&db, "anna");
    let run = |args: &[&str], stdin: &str| skvoz(&url, args, stdin);

    let (ok, out, err) = run(
        &["users", "add", &anna, "--role", "manager", "--name", "Петрова Анна", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains(&anna) && out.contains("Менеджер"), "{out}");
    let (ok, out, _) = run(&["users", "list"], "");
    assert!(ok);
    let line = out.lines().find(|l| l.contains(&anna)).unwrap_or_else(|| panic!("anna in the list: {out}"));
    assert!(line.contains("Петрова Анна") && line.contains("Менеджер") && line.contains("разрешён"), "{line}");
    // A login already taken and a short password are refused in words.
    let (ok, _, err) = run(&["users", "add", &anna, "--role", "admin", "--password-stdin"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("уже занят"), "{err}");
    let (ok, _, err) = run(&["users", "add", &login(&db, "bob"), "--role", "admin", "--password-stdin"], "short\n");
    assert!(!ok && err.contains("не меньше 8"), "{err}");

    let as_anna = as_login(&config, &anna, PASSWORD);
    let mut client = connect(&as_anna).await.expect("anna logs in with her password");
    let add_status = "INSERT INTO statuses (id, record) VALUES (999, '{}')";
    assert_eq!(attempt(&mut client, add_status).await, Err(SqlState::INSUFFICIENT_PRIVILEGE), "a manager");
    drop(client);

    // A new role changes what her connection may do.
    let (ok, out, err) = run(&["users", "set-role", &anna, "admin"], "");
    assert!(ok && out.contains("Администратор"), "{out}{err}");
    let mut client = connect(&as_anna).await.unwrap();
    assert_eq!(attempt(&mut client, add_status).await, Ok(()), "an admin now");
    drop(client);
    let (_, out, _) = run(&["users", "list"], "");
    assert!(out.lines().any(|l| l.contains(&anna) && l.contains("Администратор")), "{out}");

    // A new password: the old one no longer opens the door.
    let (ok, out, err) = run(&["users", "password", &anna, "--password-stdin"], "Another-pass-2\n");
    assert!(ok, "{out}{err}");
    if pg::checks_passwords() {
        let old = connect(&as_anna).await.expect_err("the old password is refused");
        assert!(login_refused(&old), "{old}");
    }
    let renewed = as_login(&config, &anna, "Another-pass-2");
    connect(&renewed).await.expect("the new password opens");

    // Disabled: no login, whatever the password; enabled again: back in.
    let (ok, out, err) = run(&["users", "disable", &anna], "");
    assert!(ok && out.contains("запрещён"), "{out}{err}");
    let e = connect(&renewed).await.expect_err("a disabled login is refused");
    assert!(login_refused(&e), "{e}");
    let (_, out, _) = run(&["users", "list"], "");
    assert!(out.lines().any(|l| l.contains(&anna) && l.contains("запрещён")), "{out}");
    let (ok, _, _) = run(&["users", "enable", &anna], "");
    assert!(ok);
    connect(&renewed).await.expect("enabled again");

    // Someone who is not a person of this database is not touched.
    let (ok, _, err) = run(&["users", "password", "skvoz", "--password-stdin"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("Не найдено"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_team_databases_on_one_server_share_neither_people_nor_rights() {
    let Some((first, first_config, first_db)) = team().await else { return };
    let Some((second, second_config, second_db)) = team().await else { return };
    let groups = |config: tokio_postgres::Config| async move {
        let client = connect(&config).await.unwrap();
        let rows = client.query("SELECT name FROM team_roles ORDER BY role", &[]).await.unwrap();
        rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>()
    };
    let (a, b) = (groups(first_config.clone()).await, groups(second_config.clone()).await);
    assert_eq!(a.len(), 4);
    assert!(a.iter().all(|name| !b.contains(name)), "{a:?} / {b:?}");
    assert!(a.iter().all(|name| name.contains(&first_db)), "{a:?}");

    let anna = login(&first_db, "anna");
    first.add_person(&anna, TeamRole::Admin, "", &Secret::new(PASSWORD)).await.unwrap();
    // Her login opens her database only.
    let mut elsewhere = as_login(&second_config, &anna, PASSWORD);
    elsewhere.dbname(&second_db);
    let e = connect(&elsewhere).await.expect_err("a person of another database is refused");
    assert_eq!(e.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{e}");
    // The other database's admins can neither take her login nor change her.
    let e = second.add_person(&anna, TeamRole::Manager, "", &Secret::new(PASSWORD)).await.unwrap_err();
    assert!(e.to_string().contains("уже занят"), "{e}");
    let e = second.set_person_password(&anna, &Secret::new("Another-pass-2")).await.unwrap_err();
    assert!(e.to_string().contains("Не найдено"), "{e}");
    second.set_person_enabled(&anna, false).await.unwrap_err();
    assert!(second.people().await.unwrap().is_empty());
    // And her admin rights do not reach the other database's functions.
    let as_anna = open_as(&first_config, &anna).await;
    let bob = login(&second_db, "bob");
    as_anna.add_person(&bob, TeamRole::Manager, "", &Secret::new(PASSWORD)).await.unwrap();
    assert!(second.people().await.unwrap().is_empty(), "bob is a person of the first database");
    assert_eq!(first.people().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_with_createrole_migrates_and_adds_the_first_admin_and_one_without_is_told_what_to_do() {
    let Some(config) = pg::fresh_database().await else { return };
    let db = config.get_dbname().unwrap().to_string();
    let harness = connect(&config).await.unwrap();
    let owner = login(&db, "owner");
    harness
        .batch_execute(&format!(
            "CREATE ROLE {owner} LOGIN PASSWORD '{PASSWORD}'; ALTER DATABASE {db} OWNER TO {owner}"
        ))
        .await
        .unwrap();
    let database = Database::from_config(as_login(&config, &owner, PASSWORD));
    // Without CREATEROLE the group roles cannot be made: the message says how to fix it.
    let e = Store::open_postgres(&database).await.err().expect("refused");
    assert!(e.to_string().contains("CREATEROLE") && e.to_string().contains("skvoz db migrate"), "{e}");
    harness.batch_execute(&format!("ALTER ROLE {owner} CREATEROLE")).await.unwrap();
    let as_owner = Store::open_postgres(&database).await.unwrap();
    let me = as_owner.me().await.unwrap().unwrap();
    assert_eq!(
        (me.login.as_str(), me.role, me.owner),
        (owner.as_str(), TeamRole::Admin, true),
        "the owner is an admin"
    );
    let admin = login(&db, "admin");
    as_owner.add_person(&admin, TeamRole::Admin, "Первый администратор", &Secret::new(PASSWORD)).await.unwrap();
    let as_admin = open_as(&config, &admin).await;
    let manager = login(&db, "manager");
    as_admin.add_person(&manager, TeamRole::Manager, "", &Secret::new(PASSWORD)).await.unwrap();
    as_admin.set_person_role(&manager, TeamRole::Marketer).await.unwrap();
    as_admin.set_person_password(&manager, &Secret::new("Another-pass-2")).await.unwrap();
    let roles: Vec<_> = as_admin.people().await.unwrap().into_iter().map(|p| (p.login, p.role)).collect();
    assert_eq!(roles, vec![(admin.clone(), TeamRole::Admin), (manager, TeamRole::Marketer)]);
    // The owner working as an admin too stays out of the admins' reach.
    harness
        .batch_execute(&format!("GRANT {} TO {owner}", skvoz::store::group_name(&db, TeamRole::Admin)))
        .await
        .unwrap();
    let e = as_admin.set_person_password(&owner, &Secret::new("Another-pass-2")).await.unwrap_err();
    assert!(e.to_string().contains("Не найдено"), "{e}");
    as_admin.set_person_enabled(&owner, false).await.unwrap_err();
    connect(&as_login(&config, &owner, PASSWORD)).await.expect("the owner's password is still the owner's");
}

#[tokio::test]
async fn the_embedded_store_has_no_logins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_embedded(dir.path()).await.unwrap();
    assert_eq!(store.me().await.unwrap(), None, "one person, one computer: the window chooses the role");
    let e = store.add_person("anna", TeamRole::Manager, "", &Secret::new(PASSWORD)).await.unwrap_err();
    assert!(e.to_string().contains("только для командной работы (PostgreSQL)"), "{e}");
    let out = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["users", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("только для командной работы (PostgreSQL)"));
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_the_service_login_takes_a_lead_from_roistat_on_a_new_database() {
    use std::io::{BufRead, BufReader};
    let Some(config) = pg::fresh_database().await else { return };
    let db = config.get_dbname().unwrap().to_string();
    // Only migrated: the service's first request creates the fields and statuses itself.
    let owner = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
    let mut settings = owner.service_settings().await.unwrap();
    settings.login = "httpService".into();
    settings.password = Secret::new("s3cret-Test-Pass");
    owner.put_service_settings(settings).await.unwrap();
    let roistat = login(&db, "roistat");
    owner.add_person(&roistat, TeamRole::Service, "", &Secret::new(PASSWORD)).await.unwrap();

    let mut as_service = config.clone();
    as_service.user(&roistat);
    let mut child = Command::new(env!("CARGO_BIN_EXE_skvoz"))
        .args(["--database-url", &pg::url(&as_service), "serve", "--listen", "127.0.0.1:0"])
        .env("PGPASSWORD", PASSWORD)
        .env_remove("SKVOZ_DATA_DIR")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let _serve = Killed(child);
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line}")).to_string();
    let token = skvoz::service::auth::token("httpService", "s3cret-Test-Pass");
    let url = format!(
        "http://{addr}/crm_httpAnalytics/hs/analytics?user=httpService&token={token}&action=lead&id=S-1&title=Окна"
    );
    let mut feed = owner.subscribe();
    let answer = reqwest::get(&url).await.unwrap();
    assert_eq!(answer.status().as_u16(), 200, "{}", answer.text().await.unwrap());
    assert!(owner.lead_by_roistat_id("S-1").await.unwrap().is_some(), "the lead is in the database");
    assert!(!owner.statuses().await.unwrap().is_empty(), "the service created the default statuses");
    // The service logs the exchange with its own login too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, feed.next()).await.expect("the exchange is logged");
        if matches!(event, Some(StoreEvent::ExchangeLogged(_))) {
            break;
        }
    }
    assert_eq!(owner.exchange_newest(1).await.unwrap()[0].action, "lead");
}

/// FNV-1a, as the store checksums its migrations.
fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sql.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_first_schema_keeps_its_reference_data_when_it_gets_people() {
    let Some(config) = pg::fresh_database().await else { return };
    let first = include_str!("../src/store/postgres/migrations/0001_init.sql");
    let client = connect(&config).await.unwrap();
    // A database as the first schema left it, with a record of each kind in the one catalog table.
    client
        .batch_execute(&format!(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, \
             applied_at timestamptz NOT NULL DEFAULT now());
             CREATE TABLE schema_lock (id integer PRIMARY KEY); INSERT INTO schema_lock VALUES (1);
             {first}
             INSERT INTO schema_migrations (version, name, checksum) VALUES (1, 'init', '{}');
             INSERT INTO catalog VALUES
               ('statuses', 1, '{{\"id\":1,\"name\":\"Новая\",\"group\":\"InWork\",\"order\":0}}'),
               ('extra_fields', 1, '{{\"id\":1,\"name\":\"Город\",\"dev_name\":\"city\",\"kind\":\"Text\",\"service\":false}}'),
               ('users', 4, '{{\"id\":4,\"name\":\"Петров Сергей\",\"role\":\"Manager\",\"phone\":\"\",\"email\":\"\"}}'),
               ('lead_sources', 2, '{{\"id\":2,\"name\":\"Сайт\"}}'),
               ('analytics_sources', 3, '{{\"id\":3,\"name\":\"Roistat\"}}');",
            checksum(first)
        ))
        .await
        .unwrap();
    let store = Store::open_postgres(&Database::from_config(config.clone())).await.unwrap();
    let status = Store::schema_status(&Database::from_config(config)).await.unwrap();
    assert_eq!(status.version(), status.latest, "migrated to this program's schema");
    assert_eq!(store.statuses().await.unwrap()[0].name, "Новая");
    assert_eq!(store.list::<skvoz::domain::ExtraField>().await.unwrap()[0].dev_name, "city");
    let users = store.list::<skvoz::domain::User>().await.unwrap();
    assert_eq!((users[0].id, users[0].name.as_str()), (4, "Петров Сергей"));
    assert_eq!(store.list::<skvoz::domain::LeadSource>().await.unwrap()[0].name, "Сайт");
    assert_eq!(store.get::<AnalyticsSource>(3).await.unwrap().unwrap().name, "Roistat");
    let gone = client.query_one("SELECT to_regclass('catalog') IS NULL", &[]).await.unwrap();
    assert!(gone.get::<_, bool>(0), "the one catalog table is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_and_a_forbidden_login_are_a_refused_login_not_a_dead_server() {
    let Some((owner, config, db)) = team().await else { return };
    if !pg::checks_passwords() {
        return;
    }
    let who = login(&db, "petrov");
    owner.add_person(&who, TeamRole::Manager, "", &Secret::new(PASSWORD)).await.unwrap();
    let database = |password: &str| Database::from_config(as_login(&config, &who, password));
    let wrong = Store::open_postgres(&database("not-the-password")).await.err().expect("refused");
    assert!(matches!(wrong, skvoz::store::StoreError::LoginRefused { .. }), "{wrong:?}");
    let checked = Store::schema_status(&database("not-the-password")).await.expect_err("refused");
    assert!(matches!(checked, skvoz::store::StoreError::LoginRefused { .. }), "{checked:?}");
    assert!(!wrong.to_string().contains("not-the-password"), "no password in the message: {wrong}");
    owner.set_person_enabled(&who, false).await.unwrap();
    let disabled = Store::open_postgres(&database(PASSWORD)).await.err().expect("refused");
    assert!(matches!(disabled, skvoz::store::StoreError::LoginRefused { .. }), "{disabled:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketers_bell_shows_the_alerts_an_admins_does_and_no_secret() {
    let Some((owner, config, db)) = team().await else { return };
    let (marketer, admin) = (login(&db, "marketer"), login(&db, "admin"));
    owner.add_person(&admin, TeamRole::Admin, "Администратор Анна", &Secret::new(PASSWORD)).await.unwrap();
    let as_admin = open_as(&config, &admin).await;
    as_admin.add_person(&marketer, TeamRole::Marketer, "Смирнова Мария", &Secret::new(PASSWORD)).await.unwrap();
    let mut settings = skvoz::domain::AlertSettings::default();
    settings.rules.analytics_failing = skvoz::domain::Rule { enabled: true, threshold: 2 };
    settings.telegram_token = Secret::new("bot-token-42");
    settings.smtp_password = Secret::new("smtp-pass-42");
    as_admin.put_alert_settings(settings.clone()).await.unwrap();
    let hours_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3);
    let mut source = as_admin.list::<AnalyticsSource>().await.unwrap().remove(0);
    source.enabled = true;
    source.api_key = Secret::new("api-key-42");
    source.last_start = Some(hours_ago);
    source.last_error = Some("Roistat ответил 500".into());
    as_admin.put(source).await.unwrap();

    let as_marketer = open_as(&config, &marketer).await;
    refused(as_marketer.alert_settings().await, "a marketer reads the alert settings");
    assert_eq!(as_marketer.alert_rules().await.unwrap(), settings.rules_only());
    let states = as_marketer.analytics_load_states().await.unwrap();
    assert_eq!((states[0].name.as_str(), states[0].last_error.as_deref()), ("Roistat", Some("Roistat ответил 500")));
    assert_eq!(states[0].api_key, Secret::default());
    let newest = as_admin.exchange_newest(500).await.unwrap();
    assert_eq!(as_marketer.last_accepted_request(500).await.unwrap(), Some(newest[0].at));

    let now = jiff::Timestamp::now();
    let of_admin = skvoz::app::alerts::current(&as_admin, now).await.unwrap();
    let of_marketer = skvoz::app::alerts::current(&as_marketer, now).await.expect("a marketer's alerts");
    assert_eq!(of_marketer, of_admin);
    assert_eq!(of_marketer.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), vec!["analytics_failing:1"]);

    // The views show nothing else, even to a raw connection.
    let client = connect(&as_login(&config, &marketer, PASSWORD)).await.unwrap();
    for view in ["alert_rules", "analytics_load_states", "exchange_outcomes"] {
        let rows = client.query(&format!("SELECT row_to_json(v)::text FROM {view} v"), &[]).await.unwrap();
        let text: String = rows.iter().map(|r| r.get::<_, String>(0)).collect();
        assert!(!text.is_empty(), "{view} is readable");
        for secret in ["bot-token-42", "smtp-pass-42", "api-key-42", "127.0.0.1"] {
            assert!(!text.contains(secret), "{view} shows {secret}: {text}");
        }
    }
}
