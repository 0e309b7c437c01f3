// A result whose type is a type parameter of the fn with no `Serialize` bound cannot be seen
// by the expansion, which would record every result as nil (and a checker reads nil as
// "empty"). That is an error on the return type naming the type and both fixes (the bound,
// or `output = ...`). With the bound it compiles, and the error side of a `Result` may stay
// unbounded, since a fail does not decide a verdict.
use lockstep_history::recorded;

#[recorded(f = "read")]
fn read<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| "not a number".to_string())
}

#[recorded(f = "read")]
fn read_bounded<T: std::str::FromStr + serde::Serialize>(text: &str) -> Result<T, String> {
    text.parse().map_err(|_| "not a number".to_string())
}

#[recorded(f = "read")]
fn read_any_error<E: From<String>>(text: &str) -> Result<u64, E> {
    text.parse().map_err(|_| E::from("not a number".to_string()))
}

fn main() {
    let _: Result<u64, String> = read("1");
    let _: Result<u64, String> = read_bounded("1");
    let _: Result<u64, String> = read_any_error("1");
}
