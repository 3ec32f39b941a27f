/* fsstat.c - filesystem usage and mount identity of a store (fsstat.h). */
#include <errno.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "fsstat.h"
#include "shrinkwatch/banned.h"

int fsstat_fill(int fd, struct sw_sample *out)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		return -errno;
	/* f_frsize is the unit of f_blocks; older kernels left it 0. */
	uint64_t unit = sf.f_frsize ? (uint64_t)sf.f_frsize : (uint64_t)sf.f_bsize;
	out->fs_size = (uint64_t)sf.f_blocks * unit;
	out->fs_used = ((uint64_t)sf.f_blocks - (uint64_t)sf.f_bfree) * unit;
	out->fs_inodes = (uint64_t)sf.f_files >= (uint64_t)sf.f_ffree ?
				 (uint64_t)sf.f_files - (uint64_t)sf.f_ffree : 0;
	out->mount_id = (uint64_t)st.st_dev;
	return 0;
}
