use super::*;
use protocol_core::rng::rng_from_seed;

fn write(file: &str, offset: u64, bytes: &[u8]) -> FileOp {
    FileOp::Write {
        file: FileName::Owned(file.to_string()),
        offset,
        bytes: bytes.to_vec(),
    }
}

fn sync(disk: &mut SimDisk, file: Option<&str>, rng: &mut Rng) {
    let reach = disk.reach(file);
    let mut aim = Aim {
        rng,
        misdirect: Ratio::NEVER,
    };
    disk.complete(reach, &mut aim);
}

fn crash(disk: &mut SimDisk, torn: bool, rng: &mut Rng) -> Fates {
    let mut aim = Aim {
        rng,
        misdirect: Ratio::NEVER,
    };
    disk.crash(torn, &mut aim)
}

#[test]
fn what_a_sync_covered_survives_every_crash() {
    for seed in 0..50 {
        let mut rng = rng_from_seed(seed);
        let mut disk = SimDisk::default();
        disk.apply(&write("log", 0, &[1; 1500]));
        sync(&mut disk, Some("log"), &mut rng);
        sync(&mut disk, None, &mut rng);
        disk.apply(&write("log", 1500, &[2; 1500]));
        let fates = crash(&mut disk, true, &mut rng);
        let log = disk.view().read("log").expect("its creation was synced");
        assert_eq!(&log[..1500], &[1; 1500][..], "seed {seed}");
        assert_eq!(fates.kept + fates.torn + fates.lost, 1);
        match log.len() {
            1500 => assert_eq!(fates.lost, 1),
            3000 => assert_eq!(fates.kept, 1),
            // A torn write keeps whole sectors of the file's grid: 1536, 2048, 2560.
            len => assert!(len % 512 == 0 && fates.torn == 1, "seed {seed}: {len}"),
        }
        assert!(log[1500..].iter().all(|&b| b == 2));
        assert!(!disk.has_pending());
    }
}

#[test]
fn unsynced_writes_are_lost_in_any_order_and_creations_need_the_directory() {
    let mut outcomes = BTreeSet::new();
    for seed in 0..200 {
        let mut rng = rng_from_seed(seed);
        let mut disk = SimDisk::default();
        disk.apply(&write("f", 0, &[1]));
        sync(&mut disk, None, &mut rng);
        sync(&mut disk, Some("f"), &mut rng);
        disk.apply(&write("f", 0, &[5]));
        disk.apply(&write("f", 1, &[6]));
        disk.apply(&write("g", 0, &[9]));
        crash(&mut disk, false, &mut rng);
        let f = disk.view().read("f").expect("synced").to_vec();
        outcomes.insert((f, disk.view().contains("g")));
    }
    // Each of the two pending writes of f may survive without the other: 1, 5, 1+6, 5+6.
    let fs: BTreeSet<Vec<u8>> = outcomes.iter().map(|(f, _)| f.clone()).collect();
    let expected: BTreeSet<Vec<u8>> = [vec![1], vec![5], vec![1, 6], vec![5, 6]].into();
    assert_eq!(fs, expected);
    assert!(outcomes.iter().any(|(_, g)| *g) && outcomes.iter().any(|(_, g)| !*g));
}

#[test]
fn a_rename_is_atomic_and_carries_unsynced_data_with_it() {
    let mut renamed_empty = false;
    for seed in 0..100 {
        let mut rng = rng_from_seed(seed);
        let mut disk = SimDisk::default();
        disk.apply(&write("state", 0, b"old"));
        sync(&mut disk, Some("state"), &mut rng);
        sync(&mut disk, None, &mut rng);
        disk.apply(&write("state.tmp", 0, b"new"));
        // No sync of state.tmp before the rename: the bug the disk must be able to show.
        disk.apply(&FileOp::Rename {
            from: "state.tmp".into(),
            to: "state".into(),
        });
        crash(&mut disk, true, &mut rng);
        let state = disk.view().read("state").expect("one of them is there");
        assert!(
            state == b"old" || state == b"new" || state.is_empty(),
            "seed {seed}: {state:?}"
        );
        renamed_empty |= state.is_empty();
        assert!(!disk.view().contains("state.tmp") || state == b"old");
    }
    assert!(
        renamed_empty,
        "some crash keeps the rename and loses the data"
    );
}

#[test]
fn a_failed_sync_leaves_the_view_and_may_lose_what_it_covered() {
    let mut lost = 0;
    for seed in 0..50 {
        let mut rng = rng_from_seed(seed);
        let mut disk = SimDisk::default();
        disk.apply(&write("f", 0, &[1; 10]));
        sync(&mut disk, None, &mut rng);
        let reach = disk.reach(Some("f"));
        let mut aim = Aim {
            rng: &mut rng,
            misdirect: Ratio::NEVER,
        };
        let fates = disk.fail(reach, true, &mut aim);
        assert_eq!(
            disk.view().read("f"),
            Some(&[1u8; 10][..]),
            "the cache keeps it"
        );
        assert!(!disk.has_pending(), "a later sync will not save it");
        crash(&mut disk, true, &mut rng);
        if fates.lost == 1 {
            assert_eq!(disk.view().read("f"), Some(&[][..]));
            lost += 1;
        }
    }
    assert!(lost > 0);
}

#[test]
fn latent_errors_and_misdirected_writes_damage_durable_bytes_once_per_boot() {
    let mut rng = rng_from_seed(3);
    let mut disk = SimDisk::default();
    disk.apply(&write("f", 0, &[0; 2048]));
    disk.flush_all(None);
    let (name, sector) = disk.latent_error(&mut rng).expect("a file to damage");
    crash(&mut disk, true, &mut rng);
    let f = disk.view().read(&name).unwrap();
    let flipped: Vec<usize> = (0..f.len()).filter(|&i| f[i] != 0).collect();
    assert!(!flipped.is_empty());
    assert!(flipped.iter().all(|&i| i as u64 / SECTOR_BYTES == sector));
    assert!(disk.corrupted_since_boot && disk.ever_corrupted);

    let mut disk = SimDisk::default();
    disk.apply(&write("g", 0, &[7; 100]));
    let reach = disk.reach(Some("g"));
    let mut aim = Aim {
        rng: &mut rng,
        misdirect: Ratio::ALWAYS,
    };
    disk.complete(reach, &mut aim);
    disk.apply(&write("g", 0, &[8; 100]));
    let reach = disk.reach(Some("g"));
    disk.complete(reach, &mut aim);
    disk.flush_all(None);
    crash(&mut disk, true, &mut rng);
    let g = disk.view().read("g").unwrap();
    assert!(g.len() > 100, "the first write landed sectors away");
    assert_eq!(
        &g[..100],
        &[8; 100][..],
        "the second, after the fault, did not"
    );
}

#[test]
fn the_same_seed_gives_the_same_disk() {
    let run = |seed| {
        let mut rng = rng_from_seed(seed);
        let mut disk = SimDisk::default();
        for i in 0..20u8 {
            disk.apply(&write("f", u64::from(i) * 700, &[i; 700]));
            if i % 7 == 0 {
                sync(&mut disk, Some("f"), &mut rng);
            }
        }
        crash(&mut disk, true, &mut rng);
        disk.view().read("f").map(<[u8]>::to_vec)
    };
    assert_eq!(run(11), run(11));
    let distinct: BTreeSet<Option<Vec<u8>>> = (0..10).map(run).collect();
    assert!(distinct.len() > 3);
}
