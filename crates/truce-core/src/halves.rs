//! Work in two parts, the second on a scoped thread.
//!
//! Several reads are one long pass over independent items (indexing the sectors' stretches), or two
//! independent passes over the same items (a day's correlation and its report's annex): on the two
//! cores truce is measured on, the second part on a second thread nearly halves the time. These
//! helpers decide whether a second thread is worth it, keep the parts' order and pass a panic of the
//! second thread on, so each caller states only what a part is.

/// Whether the machine has two processors or more.
fn two_cores() -> bool {
    std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2
}

/// `a()` and `b()`, `b` on a scoped thread when `parallel` and the machine has two processors or more;
/// otherwise one after the other.
pub fn join<A, B: Send>(parallel: bool, a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    if !parallel || !two_cores() {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let later = scope.spawn(b);
        let first = a();
        (first, later.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// `f` of the two halves of `items`, in order: the second half on a scoped thread when there are at
/// least `min` items and the machine has two processors or more; otherwise `f` of all of them alone.
///
/// # Examples
/// ```
/// let sums = truce_core::halves::map(&[1, 2, 3, 4], 2, |half: &[i32]| half.iter().sum::<i32>());
/// assert_eq!(sums.iter().sum::<i32>(), 10);
/// ```
pub fn map<T: Sync, R: Send>(items: &[T], min: usize, f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    if items.len() < min.max(2) || !two_cores() {
        return vec![f(items)];
    }
    let (first, second) = items.split_at(items.len() / 2);
    let (first, second) = join(true, || f(first), || f(second));
    vec![first, second]
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_parts_come_back_in_order_on_one_thread_or_two() {
        for parallel in [false, true] {
            let caller = std::thread::current().id();
            let (a, b) = super::join(parallel, || (1, std::thread::current().id()), || "two");
            assert_eq!((a, b), ((1, caller), "two"), "the first part runs on the caller's thread");
        }
    }

    #[test]
    fn the_halves_come_back_in_order_and_cover_every_item() {
        let items: Vec<u32> = (0..1_001).collect();
        let parts = super::map(&items, 10, <[u32]>::to_vec);
        assert!(parts.len() <= 2);
        assert_eq!(parts.concat(), items);
        assert_eq!(super::map(&items[..5], 10, <[u32]>::to_vec), vec![items[..5].to_vec()], "below `min`: one part");
        assert_eq!(super::map(&[] as &[u32], 0, <[u32]>::len), vec![0]);
    }

    #[test]
    #[should_panic(expected = "second half")]
    fn a_panic_on_the_second_thread_is_passed_on() {
        let items: Vec<u32> = (0..100).collect();
        super::map(&items, 2, |half: &[u32]| assert!(half[0] == 0, "second half"));
    }
}
