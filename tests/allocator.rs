//! The allocator tuning reaches mimalloc: the option it sets is the purge delay (mimalloc 3's
//! default is 1 s), and afterwards freed memory is handed back to the system only while the
//! service is in a peak of request buffers.

#[test]
fn tuning_turns_off_the_purge_delay() {
    // A process of its own: nothing has tuned the allocator yet.
    assert_eq!(skvoz::allocator_purge_delay(), 1000, "not mimalloc's purge_delay option");
    skvoz::tune_allocator();
    assert_eq!(skvoz::allocator_purge_delay(), -1);
    skvoz::allocator_returns_memory(true);
    assert_eq!(skvoz::allocator_purge_delay(), 1000);
    skvoz::allocator_collect();
    skvoz::allocator_returns_memory(false);
    assert_eq!(skvoz::allocator_purge_delay(), -1);
}
