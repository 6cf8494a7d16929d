package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ: /proc reports CPU time in these.
const clockTicks = 100

// cpuSample is the CPU time used so far by each kind of process on the
// machine, keyed by a short name (postgres, redis, accgen, bench, ...).
type cpuSample struct {
	at    time.Time
	ticks map[string]int64
}

// sampleCPU reads every process's user+system time from /proc and groups it
// by program: where the machine's cores went during a run.
func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now(), ticks: map[string]int64{}}
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range dirs {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid ... utime(14) stime(15): comm may hold
		// spaces, so split after its closing parenthesis.
		text := string(b)
		open, end := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(text[end+1:])
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		pid, _ := strconv.Atoi(strings.TrimSpace(text[:open]))
		s.ticks[program(text[open+1:end], pid == self)] += utime + stime
	}
	return s
}

func program(comm string, self bool) string {
	switch {
	case self:
		return "bench (load + simulator)"
	case comm == "postgres" || strings.HasPrefix(comm, "postgres"):
		return "postgres"
	case strings.HasPrefix(comm, "redis"):
		return "redis"
	default:
		return comm
	}
}

// cpuSplit says how busy each program kept the machine's cores between two
// samples, busiest first, as "accgen 1.10 cores, postgres 0.70, ...".
func cpuSplit(before, after cpuSample) string {
	secs := after.at.Sub(before.at).Seconds()
	type use struct {
		name  string
		cores float64
	}
	var uses []use
	total := 0.0
	for name, t := range after.ticks {
		cores := float64(t-before.ticks[name]) / clockTicks / secs
		if cores >= 0.02 {
			uses = append(uses, use{name, cores})
		}
		if cores > 0 {
			total += cores
		}
	}
	slices.SortFunc(uses, func(a, b use) int { return int((b.cores - a.cores) * 1000) })
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = fmt.Sprintf("%s %.2f", u.name, u.cores)
	}
	return fmt.Sprintf("cores busy: %.2f (%s)", total, strings.Join(parts, ", "))
}
