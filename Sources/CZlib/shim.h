// zlib's inflate, used to read gzip-compressed input files (.gz).
#include <zlib.h>
