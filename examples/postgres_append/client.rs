//! A list-append client for PostgreSQL, instrumented with `#[recorded]`: each call runs one
//! transaction of micro-ops at the client's isolation level and records it as Elle reads it.

use std::fmt;

use lockstep_history::txn::MicroOp;
use lockstep_history::{Completion, recorded};
use postgres::IsolationLevel;
use postgres::error::Severity;

/// The isolation levels PostgreSQL implements (its READ UNCOMMITTED is READ COMMITTED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// Each statement sees what was committed before it began.
    ReadCommitted,
    /// Snapshot isolation: the transaction sees one snapshot; concurrent updates of a row
    /// abort the later writer.
    RepeatableRead,
    /// Serializable snapshot isolation: aborts whatever could make a cycle.
    Serializable,
}

impl Isolation {
    /// All three, weakest first.
    pub const ALL: [Isolation; 3] = [
        Isolation::ReadCommitted,
        Isolation::RepeatableRead,
        Isolation::Serializable,
    ];

    fn level(self) -> IsolationLevel {
        match self {
            Isolation::ReadCommitted => IsolationLevel::ReadCommitted,
            Isolation::RepeatableRead => IsolationLevel::RepeatableRead,
            Isolation::Serializable => IsolationLevel::Serializable,
        }
    }

    /// A name fit for table and file names: `read_committed`, …
    pub fn name(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read_committed",
            Isolation::RepeatableRead => "repeatable_read",
            Isolation::Serializable => "serializable",
        }
    }
}

/// Why a transaction did not commit, or may not have.
#[derive(Debug)]
pub enum TxnError {
    /// The server answered with an error (a serialization failure, a deadlock, …): the
    /// transaction was rolled back.
    Aborted {
        /// The SQLSTATE, such as `40001` for a serialization failure.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The connection failed or broke: the transaction may or may not have committed.
    Connection(String),
    /// A micro-op this table cannot run: the transaction was rolled back.
    Unsupported(String),
}

impl fmt::Display for TxnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxnError::Aborted { code, message } => write!(f, "aborted ({code}): {message}"),
            TxnError::Connection(e) => write!(f, "connection trouble: {e}"),
            TxnError::Unsupported(e) => write!(f, "unsupported: {e}"),
        }
    }
}

impl From<postgres::Error> for TxnError {
    /// An ERROR rolls the transaction back and leaves the session usable; a FATAL or PANIC
    /// (the backend was terminated, the server is shutting down) ends the session, possibly
    /// in the middle of a COMMIT, like a broken connection.
    fn from(e: postgres::Error) -> TxnError {
        match e.as_db_error() {
            Some(db)
                if !matches!(
                    db.parsed_severity(),
                    Some(Severity::Fatal | Severity::Panic)
                ) =>
            {
                TxnError::Aborted {
                    code: db.code().code().to_string(),
                    message: db.message().to_string(),
                }
            }
            _ => TxnError::Connection(e.to_string()),
        }
    }
}

impl TxnError {
    /// An abort definitely did not take effect (`fail`); connection trouble leaves the
    /// outcome unknown (`info`).
    pub fn completion(&self) -> Completion {
        match self {
            TxnError::Aborted { .. } | TxnError::Unsupported(_) => Completion::Fail,
            TxnError::Connection(_) => Completion::Info,
        }
    }
}

/// A client of the list-append table `table` (`k bigint` primary key, `v bigint[]`).
pub struct AppendClient {
    config: postgres::Config,
    connection: Option<Connection>,
    table: String,
    isolation: Isolation,
}

/// An open connection with its statements prepared.
struct Connection {
    client: postgres::Client,
    /// Appends to an existing row.
    update: postgres::Statement,
    /// Creates a row for a key appended to for the first time.
    insert: postgres::Statement,
    read: postgres::Statement,
}

impl Connection {
    fn open(config: &postgres::Config, table: &str) -> Result<Connection, postgres::Error> {
        // An append is an UPDATE, or an INSERT when no row was there, rather than one
        // `INSERT … ON CONFLICT DO UPDATE`: with the upsert, one run at SERIALIZABLE on
        // PostgreSQL 15 committed a G2-item cycle (three transactions, each missing
        // another's append), which made that level's verdict a matter of luck. A concurrent
        // first append to the same key makes the INSERT fail with a unique violation, and
        // the transaction is rolled back: a `fail`.
        let mut client = config.connect(postgres::NoTls)?;
        let update = client.prepare(&format!(
            "UPDATE {table} SET v = v || $2::bigint WHERE k = $1"
        ))?;
        let insert = client.prepare(&format!(
            "INSERT INTO {table} (k, v) VALUES ($1, ARRAY[$2::bigint])"
        ))?;
        let read = client.prepare(&format!("SELECT v FROM {table} WHERE k = $1"))?;
        Ok(Connection {
            client,
            update,
            insert,
            read,
        })
    }
}

impl AppendClient {
    /// A client that connects with `config` (now, so that connecting is not part of the
    /// first transaction) and runs transactions at `isolation` on `table`, which must exist.
    pub fn new(
        config: &postgres::Config,
        table: &str,
        isolation: Isolation,
    ) -> Result<AppendClient, postgres::Error> {
        Ok(AppendClient {
            connection: Some(Connection::open(config, table)?),
            config: config.clone(),
            table: table.to_string(),
            isolation,
        })
    }

    /// Creates the table afresh (outside any history).
    pub fn create_table(client: &mut postgres::Client, table: &str) -> Result<(), postgres::Error> {
        client.batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; \
             CREATE TABLE {table} (k bigint PRIMARY KEY, v bigint[] NOT NULL)"
        ))
    }

    /// Runs `ops` as one transaction and returns them with every read filled in: an append
    /// adds its element to the end of the key's list (creating the row if needed), a read
    /// returns the key's list (`[]` when the row does not exist).
    #[recorded(f = "txn", classify = TxnError::completion)]
    pub fn transact(&mut self, ops: Vec<MicroOp>) -> Result<Vec<MicroOp>, TxnError> {
        let result = self.run(ops);
        if let Err(TxnError::Connection(_)) = result {
            self.connection = None; // reconnect for the next transaction
        }
        result
    }

    fn run(&mut self, ops: Vec<MicroOp>) -> Result<Vec<MicroOp>, TxnError> {
        if self.connection.is_none() {
            self.connection = Some(Connection::open(&self.config, &self.table)?);
        }
        let Connection {
            client,
            update,
            insert,
            read,
        } = self.connection.as_mut().expect("connected above");
        let mut txn = client
            .build_transaction()
            .isolation_level(self.isolation.level())
            .start()?;
        let mut done = Vec::with_capacity(ops.len());
        for op in ops {
            done.push(match op {
                MicroOp::Read(k, _) => {
                    let row = txn.query_opt(&*read, &[&k])?;
                    MicroOp::Read(k, Some(row.map(|r| r.get(0)).unwrap_or_default()))
                }
                MicroOp::Append(k, v) => {
                    if txn.execute(&*update, &[&k, &v])? == 0 {
                        txn.execute(&*insert, &[&k, &v])?;
                    }
                    MicroOp::Append(k, v)
                }
                // Dropping `txn` rolls back what ran so far.
                MicroOp::Write(k, v) => {
                    return Err(TxnError::Unsupported(format!(
                        "[\"w\", {k}, {v}]: a list-append table has no register writes"
                    )));
                }
            });
        }
        txn.commit()?;
        Ok(done)
    }
}
