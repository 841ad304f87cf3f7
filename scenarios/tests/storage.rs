//! Each storage fault class matters: a broken variant that needs it is caught within a few
//! seeds with the class on, and not caught on those seeds with it off.

use scenarios::storage_gates::STORAGE_GATES;
use sim::StorageClass;
use sim_kit::catches::verify_gates;

#[test]
fn each_storage_fault_class_is_what_catches_its_mutant() {
    let registry = scenarios::registry();
    let results = verify_gates(&registry, STORAGE_GATES).unwrap_or_else(|p| panic!("{p:#?}"));
    for r in &results {
        eprintln!(
            "{}: caught with {} on at seed {} by '{}'; not caught with it off on {} seeds",
            r.mutant,
            r.class.name(),
            r.caught_at,
            r.check,
            r.seeds_off
        );
    }
    // Every class but the crash within a step (shown by ABD's test) has its gate here.
    for class in StorageClass::ALL {
        let gated = STORAGE_GATES.iter().any(|g| g.class == class);
        assert_eq!(
            gated,
            class != StorageClass::CrashMidStep,
            "{}",
            class.name()
        );
    }
}
