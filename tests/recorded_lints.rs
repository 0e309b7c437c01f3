//! Code using `#[recorded]` in every supported form, under the strictest lints: the generated
//! code must add no warning of rustc's and no lint of clippy's (CI runs clippy on this file
//! with `-D warnings`).

#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]

use std::fmt::Debug;
use std::io;

use futures::executor::block_on;
use lockstep_history::{Completion, EventKind, recorded, with_history};
use serde::Serialize;

/// A store error.
#[derive(Debug, Serialize)]
pub enum Error {
    /// Definitely not applied.
    Rejected,
    /// May have been applied.
    Timeout,
}

impl Error {
    fn completion(&self) -> Completion {
        match self {
            Error::Rejected => Completion::Fail,
            Error::Timeout => Completion::Info,
        }
    }
}

/// Options that are not recorded.
pub struct Opts {
    retries: u8,
}

/// A client with every kind of receiver.
#[derive(Default)]
pub struct Client {
    value: u64,
}

impl Client {
    #[recorded(f = "write")]
    fn write(&mut self, v: u64) -> Result<(), Error> {
        if v == 0 {
            return Err(Error::Rejected);
        }
        self.value = v;
        Ok(())
    }

    #[recorded]
    fn read(&self) -> io::Result<Option<u64>> {
        Ok(Some(self.value))
    }

    #[recorded(f = "cas", err = "info")]
    fn cas(&mut self, from: u64, to: u64) -> Result<bool, Error> {
        if from == to {
            Err(Error::Timeout)?;
        }
        let swapped = self.value == from;
        if swapped {
            self.value = to;
        }
        Ok(swapped)
    }

    #[recorded(f = "put", skip(opts), classify = Error::completion)]
    async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
        if opts.retries > 3 {
            return Err(Error::Timeout);
        }
        self.value = u64::try_from(key.len() + val.len()).map_err(|_| Error::Rejected)?;
        Ok(())
    }

    #[recorded]
    fn finish(self) -> u64 {
        self.value
    }
}

#[recorded(value = (a, b))]
fn pair(a: u8, b: &str) -> usize {
    usize::from(a) + b.len()
}

#[recorded]
fn generic<T, U>(items: &[T], extra: impl Serialize + Debug, _tag: &U) -> Option<T>
where
    T: Serialize + Clone,
    U: Serialize + ?Sized,
{
    drop(format!("{extra:?}"));
    items.first().cloned()
}

#[recorded(output = |items| items.size_hint().0)]
fn counting(limit: u8) -> impl Iterator<Item = u8> {
    (0..limit).map(|n| n * 2)
}

#[recorded]
fn patterns((a, b): (u8, u8), mut total: u8) -> u8 {
    total += a;
    total + b
}

#[recorded]
fn nothing() {}

#[recorded]
fn halt(code: u8) -> ! {
    panic!("halt {code}")
}

/// A trait implemented with recorded methods.
trait Store {
    /// Stores a value.
    fn set(&mut self, v: u64) -> u64;
    /// Reads it back, later.
    async fn get(&self) -> u64;
}

impl Store for Client {
    #[recorded(f = "write")]
    fn set(&mut self, v: u64) -> u64 {
        std::mem::replace(&mut self.value, v)
    }

    #[recorded(f = "read")]
    async fn get(&self) -> u64 {
        self.value
    }
}

#[test]
fn every_form_compiles_cleanly_and_records() {
    let ((), history) = with_history(|| {
        let mut client = Client::default();
        client.write(3).unwrap();
        assert_eq!(client.read().unwrap(), Some(3));
        assert!(client.cas(3, 4).unwrap());
        block_on(client.put("k", String::from("v"), &Opts { retries: 0 })).unwrap();
        assert_eq!(client.set(9), 2);
        assert_eq!(block_on(client.get()), 9);
        assert_eq!(client.finish(), 9);
        assert_eq!(pair(1, "ab"), 3);
        assert_eq!(generic(&[1, 2], "x", "tag"), Some(1));
        assert_eq!(counting(3).sum::<u8>(), 6);
        assert_eq!(patterns((1, 2), 3), 6);
        nothing();
        assert!(std::panic::catch_unwind(|| halt(1)).is_err());
    });
    let events = history.events();
    assert_eq!(events.len(), 26);
    assert!(events.iter().all(|e| e.kind != EventKind::Fail));
    history.validate().unwrap();
}
