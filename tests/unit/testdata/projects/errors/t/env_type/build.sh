#!/bin/sh
echo building t/env_type
