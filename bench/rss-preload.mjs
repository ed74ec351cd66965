// Preload for machines without /usr/bin/time: `node --import ./bench/rss-preload.mjs …` writes the
// process's peak RSS in KB (process.resourceUsage().maxRSS) to SHIPIT_RSS_FILE when it exits.
import { writeFileSync } from 'node:fs'

const file = process.env.SHIPIT_RSS_FILE
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`))
