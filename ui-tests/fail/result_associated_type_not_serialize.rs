// A result typed by an associated type with no `Serialize` bound cannot be seen either: an
// error on the return type, naming the type and both fixes.
use lockstep_history::recorded;

trait Connection {
    type Row;
    fn query(&self) -> Vec<Self::Row>;
}

struct Client<C>(C);

impl<C: Connection> Client<C> {
    #[recorded]
    fn rows(&self) -> Result<Vec<C::Row>, String> {
        Ok(self.0.query())
    }
}

fn main() {}
