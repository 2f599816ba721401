//! A throwaway PostgreSQL for tests: its own cluster (initdb and pg_ctl from the machine's
//! PostgreSQL packages) in a temp dir on a free port, or a fresh database on the server
//! named by `CASEBOT_TEST_DATABASE_URL` when that is set. As root, the cluster runs as the
//! `postgres` user (or `nobody`), because PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL database for one test; the cluster stops when this is dropped.
pub struct TestPg {
    /// `postgres://` URL of the test's database.
    pub url: String,
    cluster: Option<Cluster>,
}

struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    sockets: PathBuf,
    port: u16,
    bin: PathBuf,
    run_as: Option<String>,
}

impl TestPg {
    /// Starts a cluster of the test's own, or creates a database on the external server.
    pub async fn start() -> TestPg {
        if let Ok(base) = std::env::var("CASEBOT_TEST_DATABASE_URL")
            && !base.is_empty()
        {
            return TestPg {
                url: fresh_database(&base).await,
                cluster: None,
            };
        }
        let cluster = tokio::task::spawn_blocking(Cluster::create)
            .await
            .expect("cluster set-up");
        TestPg {
            url: format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port),
            cluster: Some(cluster),
        }
    }

    /// True when the test runs its own cluster and so can stop and start it.
    pub fn can_restart(&self) -> bool {
        self.cluster.is_some()
    }

    /// Stops the server as an outage would (`pg_ctl stop -m fast`).
    pub fn stop_server(&self) {
        let c = self.cluster.as_ref().expect("own cluster");
        c.pg_ctl(&["stop", "-m", "fast", "-w"]);
    }

    /// Starts the server again on the same port.
    pub fn start_server(&self) {
        self.cluster.as_ref().expect("own cluster").start();
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        if let Some(c) = &self.cluster {
            let _ = c
                .command("pg_ctl")
                .args(["stop", "-m", "immediate", "-D"])
                .arg(&c.data)
                .output();
        }
    }
}

impl Cluster {
    fn create() -> Cluster {
        let bin = find_bin();
        let dir = tempfile::tempdir().expect("temp dir");
        let run_as = running_as_root().then(unprivileged_user);
        if let Some(user) = &run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(dir.path()));
        }
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        std::fs::create_dir(&sockets).expect("socket dir");
        if let Some(user) = &run_as {
            run(Command::new("chown").arg(user).arg(&sockets));
        }
        let cluster = Cluster {
            port: free_port(),
            _dir: dir,
            data,
            sockets,
            bin,
            run_as,
        };
        run(cluster
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-N",
                "-E",
                "UTF8",
                "--locale=C",
                "-D",
            ])
            .arg(&cluster.data));
        cluster.start();
        cluster
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.sockets.display()
        );
        let log = self.data.join("server.log");
        self.pg_ctl(&[
            "start",
            "-w",
            "-t",
            "30",
            "-o",
            &options,
            "-l",
            &log.to_string_lossy(),
        ]);
    }

    fn pg_ctl(&self, args: &[&str]) {
        run(self.command("pg_ctl").args(args).arg("-D").arg(&self.data));
    }

    /// A PostgreSQL program, run as the unprivileged user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The folder of `initdb` and `pg_ctl`: on PATH, else Debian's versioned folders.
fn find_bin() -> PathBuf {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return dir;
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .find(|bin| bin.join("initdb").is_file())
        .expect(
            "PostgreSQL server programs (initdb, pg_ctl) are needed: apt-get install postgresql, \
             or set CASEBOT_TEST_DATABASE_URL",
        )
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn unprivileged_user() -> String {
    let has = |user: &str| {
        Command::new("id")
            .arg(user)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has("postgres") {
        "postgres"
    } else {
        "nobody"
    }
    .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Creates a database with a random name on the server at `base` and returns its URL.
async fn fresh_database(base: &str) -> String {
    let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls)
        .await
        .expect("CASEBOT_TEST_DATABASE_URL is reachable");
    tokio::spawn(connection);
    let name = format!("casebot_test_{}", casebot::server::sessions::new_token());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    let (head, query) = match base.split_once('?') {
        Some((head, query)) => (head, format!("?{query}")),
        None => (base, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let server = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    format!("{server}/{name}{query}")
}

/// Path of a file in the test cluster's directory, for logs in failure messages.
pub fn log_of(pg: &TestPg) -> Option<PathBuf> {
    pg.cluster
        .as_ref()
        .map(|c| Path::new(&c.data).join("server.log"))
}

/// A casebot node in this process on the test database, with the admin API on.
pub struct Node {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Its state.
    pub state: casebot::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Node {
    /// Starts a node on `url` the way `casebot serve --database-url` does.
    pub async fn start(url: &str) -> Node {
        Self::start_with(url, |_| {}).await
    }

    /// Starts a node after letting the test adjust its configuration.
    pub async fn start_with(
        url: &str,
        adjust: impl FnOnce(&mut casebot::config::ServeConfig),
    ) -> Node {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut config = casebot::config::ServeConfig::new(
            PathBuf::from("unused-sled-dir"),
            repo.join("intents"),
            repo.join("knowledge"),
        );
        config.database_url = Some(url.to_string());
        config.admin_token = Some(super::TOKEN.to_string());
        adjust(&mut config);
        let (store, sessions) = casebot::cli::serve::open_store(&config)
            .await
            .expect("open the PostgreSQL stores");
        let (nlu, _) =
            casebot::nlu::Nlu::load(&config.intents, &config.knowledge).expect("content loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = casebot::AppState::with_session_store(config, nlu, store, sessions);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(casebot::run(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Node {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `ws://…/ws`, with `?session=` when resuming.
    pub fn ws_url(&self, session: Option<&str>) -> String {
        match session {
            Some(token) => format!("ws://{}/ws?session={token}", self.addr),
            None => format!("ws://{}/ws", self.addr),
        }
    }

    /// Stops the node as `casebot serve` does on SIGTERM and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(15), task)
                .await
                .expect("the node stops in time")
                .expect("node task")
                .expect("the node ran cleanly");
        }
    }
}
