// Every future shape, `#[async_trait]` methods, `output`, borrowing `value`, `_` parameters
// and `#[track_caller]` compile, and the generated code adds no warnings.
#![deny(warnings)]

use std::future::Future;
use std::pin::Pin;

use futures::future::BoxFuture;
use lockstep_history::recorded;

pub struct Client;

impl Client {
    #[recorded(f = "read")]
    pub fn read(&self, key: u64) -> impl Future<Output = Result<u64, String>> + Send + '_ {
        async move { Ok(key) }
    }

    #[recorded(f = "write")]
    pub fn write(&self, v: u64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let _ = v;
        })
    }

    #[recorded(output = |len| *len)]
    pub fn boxed(&self, text: String) -> BoxFuture<'static, usize> {
        Box::pin(async move { text.len() })
    }

    #[recorded(f = "read", value = (key, None::<u64>), output = |v| (key, v))]
    pub fn get(&self, key: String, _: u8) -> Option<u64> {
        key.parse().ok()
    }

    #[recorded]
    #[track_caller]
    pub fn parse(&self, text: &str) -> Result<u64, std::num::ParseIntError> {
        if text.is_empty() {
            return Ok(0);
        }
        let n = text.parse::<u64>()?;
        Ok(n)
    }
}

#[async_trait::async_trait]
pub trait Store {
    async fn load(&self, key: u64) -> Result<u64, String>;
}

#[async_trait::async_trait]
impl Store for Client {
    #[recorded(f = "read")]
    async fn load(&self, key: u64) -> Result<u64, String> {
        Ok(key)
    }
}

fn main() {
    let client = Client;
    futures::executor::block_on(async {
        client.read(1).await.unwrap();
        client.write(2).await;
        client.boxed("x".into()).await;
        client.load(3).await.unwrap();
    });
    client.get("4".into(), 0);
    client.parse("5").unwrap();
}
