// The annotated client of the issue must compile, warning-free, exactly as a user writes it.
#![deny(warnings)]

use lockstep_history::{Completion, recorded, with_history};
use serde::Serialize;

#[derive(Debug, Serialize)]
enum Error {
    Conflict,
    Timeout,
}

impl Error {
    fn completion(&self) -> Completion {
        match self {
            Error::Conflict => Completion::Fail,
            Error::Timeout => Completion::Info,
        }
    }
}

struct Opts {
    sync: bool,
}

struct Client {
    value: u64,
}

impl Client {
    #[recorded(f = "write")]
    fn write(&self, v: u64) -> Result<(), Error> {
        if v == self.value {
            return Err(Error::Conflict);
        }
        Ok(())
    }

    #[recorded]
    fn read(&self) -> std::io::Result<Option<u64>> {
        Ok(Some(self.value))
    }

    #[recorded(f = "cas", err = "info")]
    fn cas(&self, from: u64, to: u64) -> Result<bool, Error> {
        Ok(self.value == from && from != to)
    }

    #[recorded(f = "put", skip(opts), classify = Error::completion)]
    async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
        if opts.sync {
            return Err(Error::Timeout);
        }
        self.value = (key.len() + val.len()) as u64;
        Ok(())
    }
}

fn main() {
    let (_, history) = with_history(|| {
        let mut client = Client { value: 0 };
        client.write(5).unwrap();
        client.read().unwrap();
        client.cas(0, 1).unwrap();
        futures::executor::block_on(client.put("k", "v".into(), &Opts { sync: false })).unwrap();
    });
    assert_eq!(history.len(), 8);
}
