# roles/http form bodies: urlencoded and multipart/form-data parser (I/O-free)
list(APPEND LOOM_SRCS roles/http/form.c)
