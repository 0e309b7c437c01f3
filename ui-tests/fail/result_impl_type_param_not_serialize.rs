// A result typed by a type parameter of the impl, with no `Serialize` bound, cannot be seen:
// it would be recorded as nil, which a checker reads as "empty". That is an error on the
// return type, naming the type and both fixes (a `Serialize` bound, or `output = ...`).
use lockstep_history::recorded;

struct Store<T>(Vec<T>);

impl<T: Clone> Store<T> {
    #[recorded]
    fn get(&self) -> Result<Option<T>, String> {
        Ok(self.0.first().cloned())
    }
}

fn main() {
    let _ = Store(vec![1]).get();
}
