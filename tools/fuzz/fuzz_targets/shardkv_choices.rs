#![no_main]

// A whole shardkv-random run whose choices are the input; a failed check is a crash.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::families::family_target("shardkv-random", data));
