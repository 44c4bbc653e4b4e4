/*
 * fuzz-driver.c: a main() for the fuzz harnesses when libFuzzer is not linked: it
 * feeds the harness every file of the seed corpus directories (or files) given, so
 * each build checks the seeds still run clean (under ASan in the sanitizer trees).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);

	return 0;
}

int
main(int argc, char **argv)
{
	int n, count = 0, bad = 0;

	for (n = 1; n < argc; n++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char path[4096];

		if (stat(argv[n], &st)) {
			fprintf(stderr, "%s: cannot stat\n", argv[n]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += !!run_file(argv[n]);
			count++;
			continue;
		}
		d = opendir(argv[n]);
		if (!d)
			return 1;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[n], de->d_name);
			bad += !!run_file(path);
			count++;
		}
		closedir(d);
	}
	printf("fuzz seeds: %d passed, %d failed\n", count - bad, bad);

	/* an empty corpus proves nothing */
	return bad || !count;
}
