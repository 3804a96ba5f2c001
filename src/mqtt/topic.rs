//! Topic filter matching (MQTT 5 §4.7), so that mqrr checks every message
//! against its own subscriptions instead of trusting the broker (spec §3:
//! a message whose topic the filter does not match is never an answer).

/// The filter a shared subscription (`$share/GROUP/FILTER`) stands for;
/// any other filter unchanged.
pub fn unshared(filter: &str) -> &str {
    filter
        .strip_prefix("$share/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(filter, |(_, f)| f)
}

/// Whether `topic` matches `filter`: `+` is one whole level, `#` the rest
/// (including the parent level itself), and a topic starting with `$` is
/// never matched by a wildcard in the first level (MQTT 5 §4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    let filter = unshared(filter);
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_mqtt() {
        assert!(matches("a/b", "a/b"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
        assert!(matches("a/+", "a/b"));
        assert!(!matches("a/+", "a/b/c"));
        assert!(matches("a/+/c", "a//c"));
        assert!(matches("a/#", "a"));
        assert!(matches("a/#", "a/b/c"));
        assert!(matches("#", "a/b"));
        assert!(matches("+/+", "/x"));
        assert!(!matches("a/b", "a/B"));
        assert!(!matches("#", "$SYS/x"));
        assert!(!matches("+/x", "$SYS/x"));
        assert!(matches("$SYS/#", "$SYS/x"));
        assert!(!matches("a", ""));
    }

    #[test]
    fn shared_subscriptions_match_their_filter() {
        assert_eq!(unshared("$share/g/a/+"), "a/+");
        assert!(matches("$share/g/a/+", "a/b"));
        assert!(!matches("$share/g/a/+", "g/a/b"));
        assert_eq!(unshared("$share/"), "$share/");
    }
}
