//! The tests' own folders are removed when a test ends and kept when it fails
//! (`common::scratch`); `.ci/run` checks that a run of the whole suite leaves nothing in the
//! temporary directory.

mod common;
use common::Scratch;

#[test]
fn a_test_s_folder_is_removed_when_the_test_ends() {
    let d = Scratch::new("scratch-folders", "ends");
    std::fs::create_dir_all(d.join("run/parts")).expect("mkdir");
    std::fs::write(d.join("run/parts/points.parquet"), b"x").expect("write");
    let path = d.path().to_path_buf();
    assert!(path.join("run/parts/points.parquet").exists());
    drop(d);
    assert!(!path.exists(), "{} is still there", path.display());
}

#[test]
fn a_folder_that_was_never_made_is_dropped_quietly() {
    let d = Scratch::unmade("scratch-folders", "unmade");
    let path = d.path().to_path_buf();
    assert!(!path.exists());
    drop(d);
    assert!(!path.exists());
}

#[test]
fn a_failing_test_keeps_its_folder_for_inspection() {
    let path = std::thread::spawn(|| {
        let d = Scratch::new("scratch-folders", "fails");
        std::fs::write(d.join("what-went-wrong.txt"), b"x").expect("write");
        std::panic::panic_any(d.path().to_path_buf());
    })
    .join()
    .expect_err("the test failed")
    .downcast::<std::path::PathBuf>()
    .expect("the folder's path");
    assert!(path.join("what-went-wrong.txt").exists());
    std::fs::remove_dir_all(&*path).expect("clean up");
}
