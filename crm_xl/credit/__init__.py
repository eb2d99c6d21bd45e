"""Credit management as a process: order checks, monthly snapshots and reviews, monitoring."""
