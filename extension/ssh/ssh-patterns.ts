// OpenSSH's host patterns (match.c), used by ssh_config (Host, Match host/user) and by known_hosts:
// `*` and `?` globs, and lists in which a negated match (`!pattern`) vetoes the whole list.

/** match_pattern: `*` and `?`, case-sensitive. No regexes, so hostile patterns cannot backtrack exponentially. */
export function matchesGlob(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * match_pattern_list: true when a pattern matches and no negated one does. `lowerCasePatterns`
 * for host names, which ssh compares lower-cased (the caller lower-cases the text).
 */
export function matchesPatterns(text: string, patterns: readonly string[], lowerCasePatterns = false): boolean {
  let matched = false;
  for (const item of patterns) {
    const negated = item.startsWith('!');
    const pattern = negated ? item.slice(1) : item;
    if (!matchesGlob(text, lowerCasePatterns ? pattern.toLowerCase() : pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}
