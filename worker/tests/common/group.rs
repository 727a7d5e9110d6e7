//! A child process in a process group of its own: dropping it kills the whole group, so nothing
//! it started (chromedriver's Chromium, a worker's children) outlives the test, pass or fail.

use std::{
    os::unix::process::CommandExt,
    process::{Child, Command},
};

/// A running process group, killed (SIGKILL, every member) on drop.
pub struct Group(Child);

impl Group {
    /// Spawns `cmd` as the leader of a new process group.
    pub fn spawn(cmd: &mut Command, what: &str) -> Self {
        Self(cmd.process_group(0).spawn().unwrap_or_else(|e| panic!("starting {what}: {e}")))
    }

    /// Kills every process of the group and reaps the leader.
    pub fn kill(&mut self) {
        // The group's id is the leader's pid; `kill -- -PGID` signals every member.
        let _ = Command::new("/bin/kill").args(["-KILL", "--", &format!("-{}", self.0.id())]).stderr(std::process::Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
