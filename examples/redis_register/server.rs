//! A throwaway Redis server for the example: started on a free loopback port unless
//! `REDIS_URL` names one, and stopped when dropped.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Redis server the example can talk to.
pub struct Server {
    /// `redis://127.0.0.1:PORT/`
    pub url: String,
    child: Option<Child>,
}

impl Server {
    /// Uses `REDIS_URL` if set, otherwise starts `redis-server` on a free loopback port.
    pub fn start() -> Result<Server, String> {
        if let Ok(url) = std::env::var("REDIS_URL") {
            return Ok(Server { url, child: None });
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            let child = Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start redis-server (is it installed?): {e}"))?;
            let mut server = Server {
                url: format!("redis://127.0.0.1:{port}/"),
                child: Some(child),
            };
            match server.wait_ready(Duration::from_secs(10)) {
                Ok(()) => return Ok(server),
                Err(e) => last_error = e, // port taken in between, most likely: try another
            }
        }
        Err(last_error)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let start = Instant::now();
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("redis-server exited early: {status}"));
            }
            let ping = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            match ping {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() > limit => {
                    return Err(format!("redis-server did not answer at {}: {e}", self.url));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
