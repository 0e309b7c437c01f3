// Every signature form keeps working: visibility, docs and attributes, lifetimes, generics
// with where-clauses, `impl Trait` arguments and returns, argument patterns and `mut`,
// `self` by value, trait impls, raw identifiers and `unsafe fn`.
#![deny(warnings)]

use lockstep_history::recorded;
use serde::Serialize;

pub struct Store<'a> {
    name: &'a str,
}

impl<'a> Store<'a> {
    /// Documented, `#[must_use]`, public.
    #[must_use]
    #[recorded]
    pub fn name(&self) -> &'a str {
        self.name
    }

    #[recorded]
    fn longest<'b>(&self, other: &'b str) -> &'b str
    where
        'a: 'b,
    {
        if other.len() > self.name.len() { other } else { self.name }
    }

    #[recorded]
    fn into_name(self) -> String {
        self.name.to_owned()
    }
}

#[recorded]
fn generic<K, V: Serialize>(key: K, val: impl Serialize + Clone, extra: &[V]) -> (K, usize)
where
    K: Serialize + Copy,
{
    let _ = val.clone();
    (key, extra.len())
}

// An `impl Trait` result that is not `Serialize` records what `output` makes of it.
#[recorded(output = |evens| evens.clone().collect::<Vec<u8>>())]
fn evens(limit: u8) -> impl Iterator<Item = u8> + Clone {
    (0..limit).filter(|n| n % 2 == 0)
}

#[recorded]
fn patterns((a, b): (u8, u8), [c, d]: [u8; 2], mut e: u8, _: u8) -> u8 {
    e += a + b + c + d;
    e
}

#[recorded]
fn r#type(r#in: u8) -> u8 {
    r#in
}

#[recorded]
unsafe fn raw(p: usize) -> u8 {
    // SAFETY: the callers pass the address of a live u8.
    unsafe { *(p as *const u8) }
}

#[recorded]
fn diverges(v: u8) -> u8 {
    if v > 0 {
        return v;
    }
    loop {
        std::hint::spin_loop();
        break 0;
    }
}

trait Named {
    fn label(&self, suffix: &str) -> String;
}

impl Named for Store<'_> {
    #[recorded(f = "read")]
    fn label(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.name)
    }
}

fn main() {
    let ((), history) = lockstep_history::with_history(|| {
        let store = Store { name: "s" };
        assert_eq!(store.name(), "s");
        assert_eq!(store.longest("long"), "long");
        assert_eq!(store.label("!"), "s!");
        assert_eq!(store.into_name(), "s");
        assert_eq!(generic(1u8, "v", &[1, 2]), (1, 2));
        assert_eq!(evens(5).count(), 3);
        assert_eq!(patterns((1, 2), [3, 4], 5, 6), 15);
        assert_eq!(r#type(7), 7);
        let x = 9u8;
        // SAFETY: the address of a live u8.
        assert_eq!(unsafe { raw(&raw const x as usize) }, 9);
        assert_eq!(diverges(0), 0);
    });
    assert_eq!(history.events()[14].f, "type");
    assert_eq!(history.len(), 20);
}
