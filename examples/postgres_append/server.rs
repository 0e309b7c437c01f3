//! A throwaway PostgreSQL cluster: `initdb` in a fresh temporary folder, `postgres` on a
//! free loopback port with its socket in that folder, run as an unprivileged user when we
//! are root (PostgreSQL refuses to run as root), and stopped and removed when dropped, also
//! when a test panics. `LOCKSTEP_POSTGRES_URL` names an existing server to use instead.

use std::fmt;
use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Why no server could be had.
#[derive(Debug)]
pub enum ServerError {
    /// PostgreSQL's programs are not installed: tests skip (or fail under `CI=true`).
    Missing(String),
    /// They are installed, but the cluster did not come up.
    Failed(String),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Missing(why) | ServerError::Failed(why) => f.write_str(why),
        }
    }
}

/// A PostgreSQL server the example and its test can talk to.
pub struct Server {
    /// How to connect (as the superuser `postgres`, database `postgres`).
    pub config: postgres::Config,
    /// The cluster this process started, if it started one.
    cluster: Option<Cluster>,
}

/// A cluster this process owns: the folder holding its data, socket and log, and the
/// postmaster, which leads its own process group.
struct Cluster {
    dir: PathBuf,
    postmaster: Option<Child>,
}

impl Server {
    /// Uses `LOCKSTEP_POSTGRES_URL` if set (a `postgres://` URL or `key=value` string whose
    /// database may be written to), otherwise starts a throwaway cluster.
    pub fn start() -> Result<Server, ServerError> {
        if let Ok(url) = std::env::var("LOCKSTEP_POSTGRES_URL") {
            let config = url
                .parse()
                .map_err(|e| ServerError::Failed(format!("LOCKSTEP_POSTGRES_URL: {e}")))?;
            return Ok(Server {
                config,
                cluster: None,
            });
        }
        let bin = find_binaries()?;
        let user = unprivileged_user()?;
        let dir = fresh_dir(user)?;
        // From here on, dropping `server` stops whatever started and removes the folder.
        let mut server = Server {
            config: postgres::Config::new(),
            cluster: Some(Cluster {
                dir: dir.clone(),
                postmaster: None,
            }),
        };
        init_cluster(&bin, &dir, user)?;
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let postmaster = start_postmaster(&bin, &dir, user, port)?;
            if let Some(cluster) = &mut server.cluster {
                cluster.postmaster = Some(postmaster);
            }
            let mut config = postgres::Config::new();
            config
                .host("127.0.0.1")
                .port(port)
                .user("postgres")
                .dbname("postgres")
                .connect_timeout(Duration::from_secs(2));
            server.config = config;
            match server.wait_ready(Duration::from_secs(30)) {
                Ok(()) => return Ok(server),
                // The port was taken between choosing it and binding it, most likely.
                Err(e) => last_error = e,
            }
            if let Some(cluster) = &mut server.cluster {
                cluster.stop();
            }
        }
        Err(ServerError::Failed(last_error))
    }

    /// A new connection.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(postgres::NoTls)
    }

    /// The folder of the cluster this process started (data, socket, log), if it did.
    pub fn dir(&self) -> Option<&Path> {
        self.cluster.as_ref().map(|c| c.dir.as_path())
    }

    /// The process id of the postmaster this process started, if it did.
    pub fn pid(&self) -> Option<u32> {
        self.cluster
            .as_ref()
            .and_then(|c| c.postmaster.as_ref())
            .map(Child::id)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(cluster) = &mut self.cluster
                && let Some(postmaster) = &mut cluster.postmaster
                && let Ok(Some(status)) = postmaster.try_wait()
            {
                return Err(format!(
                    "postgres exited early ({status}): {}",
                    cluster.log_tail()
                ));
            }
            match self.connect().and_then(|mut c| c.simple_query("SELECT 1")) {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() > limit => {
                    let log = self.cluster.as_ref().map(Cluster::log_tail);
                    return Err(format!(
                        "postgres did not answer within {limit:?}: {e}; log: {}",
                        log.unwrap_or_default()
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(cluster) = &mut self.cluster {
            cluster.stop();
            let _ = fs::remove_dir_all(&cluster.dir);
        }
    }
}

impl Cluster {
    /// Immediate shutdown (SIGQUIT: the postmaster stops its backends, waits for them and
    /// exits); if it is still there after 5 s, SIGKILL to its whole process group. Then reap.
    fn stop(&mut self) {
        let Some(mut postmaster) = self.postmaster.take() else {
            return;
        };
        let pid = postmaster.id().to_string();
        let running = |p: &mut Child| matches!(p.try_wait(), Ok(None));
        if running(&mut postmaster) {
            signal("-QUIT", &pid);
            let deadline = Instant::now() + Duration::from_secs(5);
            while running(&mut postmaster) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if running(&mut postmaster) {
            // Not reaped yet, so its pid (and group id) cannot have been reused.
            signal("-KILL", &format!("-{pid}"));
        }
        let _ = postmaster.kill();
        let _ = postmaster.wait();
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" / ")
    }
}

/// Sends a signal with the `kill` program (std has no signal API); errors are ignored, as
/// the process may be gone already.
fn signal(signal: &str, target: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The folder holding `initdb` and `postgres`: `LOCKSTEP_POSTGRES_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH), else the PATH, else what
/// `pg_config --bindir` says.
fn find_binaries() -> Result<PathBuf, ServerError> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("LOCKSTEP_POSTGRES_BIN") {
        let dir = PathBuf::from(dir);
        return if has_both(&dir) {
            Ok(dir)
        } else {
            Err(ServerError::Missing(format!(
                "LOCKSTEP_POSTGRES_BIN={} has no initdb and postgres",
                dir.display()
            )))
        };
    }
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, d)| has_both(d))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Ok(dir);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).find(|d| has_both(d)))
        .unwrap_or_default();
    if let Some(dir) = on_path {
        return Ok(dir);
    }
    let pg_config = Command::new("pg_config").arg("--bindir").output();
    if let Ok(out) = pg_config {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_both(&dir) {
            return Ok(dir);
        }
    }
    Err(ServerError::Missing(
        "PostgreSQL's initdb and postgres not found in /usr/lib/postgresql/*/bin, on the PATH \
         or via pg_config (Debian: apt-get install postgresql)"
            .into(),
    ))
}

/// A user id and group id to run PostgreSQL as.
#[derive(Clone, Copy, Debug)]
struct User {
    uid: u32,
    gid: u32,
}

/// `None` when we are not root (PostgreSQL then runs as us); as root, the user named by
/// `LOCKSTEP_POSTGRES_USER`, else `nobody`.
fn unprivileged_user() -> Result<Option<User>, ServerError> {
    if id(&["-u"])? != 0 {
        return Ok(None);
    }
    let name = std::env::var("LOCKSTEP_POSTGRES_USER").unwrap_or_else(|_| "nobody".into());
    let user = User {
        uid: id(&["-u", &name])?,
        gid: id(&["-g", &name])?,
    };
    if user.uid == 0 {
        return Err(ServerError::Failed(format!(
            "user {name} is root; PostgreSQL needs an unprivileged user"
        )));
    }
    Ok(Some(user))
}

fn id(args: &[&str]) -> Result<u32, ServerError> {
    let out = Command::new("id")
        .args(args)
        .output()
        .map_err(|e| ServerError::Failed(format!("cannot run id: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            ServerError::Failed(format!(
                "id {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        })
}

/// A new folder under the temporary directory, private to `user` (or to us).
fn fresh_dir(user: Option<User>) -> Result<PathBuf, ServerError> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let failed = |what: &str, e: std::io::Error| ServerError::Failed(format!("{what}: {e}"));
    let dir = std::env::temp_dir().join(format!(
        "lockstep-postgres-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    if dir.exists() {
        // Left by an earlier process with our pid that was killed: ours to reuse.
        fs::remove_dir_all(&dir).map_err(|e| failed("remove a stale cluster folder", e))?;
    }
    fs::create_dir(&dir).map_err(|e| failed("create the cluster folder", e))?;
    let result = (|| {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        if let Some(u) = user {
            std::os::unix::fs::chown(&dir, Some(u.uid), Some(u.gid))?;
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_dir_all(&dir);
        failed("prepare the cluster folder", e)
    })?;
    Ok(dir)
}

/// A command that runs in `dir` as `user` when given (std drops supplementary groups as it
/// does); in `dir`, since the user may not be allowed into our working directory.
fn as_user(program: PathBuf, dir: &Path, user: Option<User>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    if let Some(u) = user {
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd.env_remove("PGDATA").env("LC_ALL", "C");
    cmd
}

fn init_cluster(bin: &Path, dir: &Path, user: Option<User>) -> Result<(), ServerError> {
    let out = as_user(bin.join("initdb"), dir, user)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
        .arg("--no-sync")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ServerError::Failed(format!("cannot run initdb: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ServerError::Failed(format!(
            "initdb failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn free_port() -> Result<u16, ServerError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ServerError::Failed(format!("no free port: {e}")))
}

/// Starts the postmaster in its own process group, logging to `postgres.log`. Durability
/// is off: the cluster is thrown away, and isolation does not depend on it.
fn start_postmaster(
    bin: &Path,
    dir: &Path,
    user: Option<User>,
    port: u16,
) -> Result<Child, ServerError> {
    let log = fs::File::create(dir.join("postgres.log"))
        .map_err(|e| ServerError::Failed(format!("create postgres.log: {e}")))?;
    let log_err = log
        .try_clone()
        .map_err(|e| ServerError::Failed(format!("postgres.log: {e}")))?;
    as_user(bin.join("postgres"), dir, user)
        .arg("-D")
        .arg(dir.join("data"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
        .arg(dir)
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=100"])
        // Deadlocks among the workers' row locks are found in 50 ms instead of a second.
        .args(["-c", "deadlock_timeout=50ms"])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| ServerError::Failed(format!("cannot start postgres: {e}")))
}
