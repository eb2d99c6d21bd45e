"""What trimming takes off a typed text, wherever it is read (xlsx readers, CSV, the value contract):
Unicode's spaces and line breaks, but not the control characters str.strip() also counts as space
(\\x0b, \\x0c, \\x1c-\\x1f, \\x85), which are bad-characters."""

SPACES = ("\t\n\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
          "\u2028\u2029\u202f\u205f\u3000")
