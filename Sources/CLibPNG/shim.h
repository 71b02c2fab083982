// libpng's simplified API (png_image_*): no setjmp/longjmp handling is needed on the Swift side.
#include <png.h>
