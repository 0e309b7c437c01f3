//! A register client for one Redis key, instrumented with `#[recorded]`.

use std::fmt;
use std::time::{Duration, Instant};

use lockstep_history::{Completion, recorded};
use serde::Serialize;

/// Why an operation did not return a result.
#[derive(Debug, Serialize)]
pub enum ClientError {
    /// No reply within the read timeout: the command may or may not have run.
    Timeout,
    /// The connection broke after the command was sent: it may or may not have run.
    Disconnected(String),
    /// The command was never sent (no connection): it did not run.
    Unavailable(String),
    /// `EXEC` was aborted because the key changed after `WATCH`: the write did not run.
    Conflict,
    /// Redis answered with an error: the command did not run.
    Refused(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Timeout => write!(f, "timed out"),
            ClientError::Disconnected(e) => write!(f, "connection lost: {e}"),
            ClientError::Unavailable(e) => write!(f, "not connected: {e}"),
            ClientError::Conflict => write!(f, "key changed during the transaction"),
            ClientError::Refused(e) => write!(f, "refused: {e}"),
        }
    }
}

impl ClientError {
    /// Timeouts and lost connections leave the outcome unknown; the rest definitely failed.
    pub fn completion(&self) -> Completion {
        match self {
            ClientError::Timeout | ClientError::Disconnected(_) => Completion::Info,
            _ => Completion::Fail,
        }
    }

    fn from_sent(e: &redis::RedisError) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout
        } else if e.is_io_error() || e.is_connection_dropped() {
            ClientError::Disconnected(e.to_string())
        } else {
            ClientError::Refused(e.to_string())
        }
    }
}

/// A client of the register stored under `key`.
pub struct RegisterClient {
    client: redis::Client,
    connection: Option<redis::Connection>,
    key: String,
    timeout: Duration,
    /// When set, reads are served from a local copy this fresh: the bug to catch.
    cache_for: Option<Duration>,
    cached: Option<(Instant, Option<i64>)>,
}

impl RegisterClient {
    /// A client for `key` on the server at `url`; `cache_for` makes it cache reads.
    pub fn new(url: &str, key: &str, timeout: Duration, cache_for: Option<Duration>) -> Self {
        RegisterClient {
            client: redis::Client::open(url).expect("a valid redis URL"),
            connection: None,
            key: key.to_string(),
            timeout,
            cache_for,
            cached: None,
        }
    }

    /// Runs `cmd`, connecting first if needed; a connection that timed out is replaced,
    /// since its late reply would answer the next command.
    fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> Result<T, ClientError> {
        if self.connection.is_none() {
            let c = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|e| ClientError::Unavailable(e.to_string()))?;
            c.set_read_timeout(Some(self.timeout))
                .and_then(|()| c.set_write_timeout(Some(self.timeout)))
                .map_err(|e| ClientError::Unavailable(e.to_string()))?;
            self.connection = Some(c);
        }
        let connection = self.connection.as_mut().expect("connected above");
        cmd.query(connection).map_err(|e| {
            let error = ClientError::from_sent(&e);
            if !matches!(error, ClientError::Refused(_)) {
                self.connection = None;
            }
            error
        })
    }

    /// Reads the register (nil when never written).
    #[recorded(f = "read", classify = ClientError::completion)]
    pub fn read(&mut self) -> Result<Option<i64>, ClientError> {
        if let (Some(ttl), Some((at, value))) = (self.cache_for, self.cached)
            && at.elapsed() < ttl
        {
            return Ok(value);
        }
        let value: Option<i64> = self.query(redis::cmd("GET").arg(&self.key))?;
        self.cached = Some((Instant::now(), value));
        Ok(value)
    }

    /// Sets the register to `value`.
    #[recorded(f = "write", classify = ClientError::completion)]
    pub fn write(&mut self, value: i64) -> Result<(), ClientError> {
        let () = self.query(redis::cmd("SET").arg(&self.key).arg(value))?;
        self.cached = Some((Instant::now(), Some(value)));
        Ok(())
    }

    /// Sets the register to `new` if it holds `expected`, with `WATCH`/`MULTI`/`EXEC`.
    /// `Ok(false)` means it held something else.
    #[recorded(f = "cas", classify = ClientError::completion)]
    pub fn cas(&mut self, expected: i64, new: i64) -> Result<bool, ClientError> {
        let () = self.query(redis::cmd("WATCH").arg(&self.key))?;
        let current: Option<i64> = self.query(redis::cmd("GET").arg(&self.key))?;
        if current != Some(expected) {
            let () = self.query(&redis::cmd("UNWATCH"))?;
            return Ok(false);
        }
        let mut tx = redis::pipe();
        tx.atomic().cmd("SET").arg(&self.key).arg(new).ignore();
        let connection_result: Result<Option<()>, ClientError> = self.query_pipe(&tx);
        match connection_result? {
            Some(()) => {
                self.cached = Some((Instant::now(), Some(new)));
                Ok(true)
            }
            None => Err(ClientError::Conflict),
        }
    }

    fn query_pipe<T: redis::FromRedisValue>(
        &mut self,
        pipe: &redis::Pipeline,
    ) -> Result<T, ClientError> {
        let connection = self
            .connection
            .as_mut()
            .ok_or_else(|| ClientError::Unavailable("connection lost".into()))?;
        pipe.query(connection).map_err(|e| {
            self.connection = None;
            ClientError::from_sent(&e)
        })
    }
}
